package report

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/finding"
	inv "github.com/token-gate/token-gate/internal/inventory"
)

// InventoryDocument is `token-gate inventory --json`, version 1: every
// secret with where it is used, every finding, and what could not be read.
// Fields may be added within the version; none is renamed, retyped or
// removed (docs/json.md, "JSON").
type InventoryDocument struct {
	Version int    `json:"version"`
	Owner   string `json:"owner"`
	// Repository is OWNER/REPO when one repository was read.
	Repository   string             `json:"repository,omitempty"`
	Repositories int                `json:"repositories"`
	Secrets      []InventorySecret  `json:"secrets"`
	Findings     []InventoryFinding `json:"findings"`
	NotVisible   []inv.Gap          `json:"not_visible"`
	Notes        []string           `json:"notes,omitempty"`
}

// InventorySecret is one secret of the inventory.
type InventorySecret struct {
	Name        string `json:"name"`
	Level       string `json:"level"`
	Repository  string `json:"repository,omitempty"`
	Environment string `json:"environment,omitempty"`
	Visibility  string `json:"visibility,omitempty"`
	// SelectedRepositories are those a selected organization secret
	// reaches, when they could be read.
	SelectedRepositories []string         `json:"selected_repositories,omitempty"`
	UpdatedAt            string           `json:"updated_at"`
	AgeDays              int              `json:"age_days"`
	UsedBy               []InventoryUse   `json:"used_by"`
	Images               []string         `json:"images"`
	CheckedBy            []InventoryCheck `json:"checked_by"`
	// GitHubToken says why GITHUB_TOKEN cannot replace the secret.
	GitHubToken string `json:"github_token,omitempty"`
}

// InventoryUse is one place a secret is read.
type InventoryUse struct {
	Repository  string `json:"repository"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Job         string `json:"job"`
	Environment string `json:"environment,omitempty"`
	Via         string `json:"via,omitempty"`
	Role        string `json:"role"`
}

// InventoryCheck is a token-gate step that checks a secret.
type InventoryCheck struct {
	Repository string `json:"repository"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	Job        string `json:"job"`
}

// InventoryFinding is one finding. An organization-level finding has an
// empty repository and file, and a null line.
type InventoryFinding struct {
	Code       string `json:"code"`
	Severity   string `json:"severity"`
	Repository string `json:"repository"`
	File       string `json:"file"`
	Line       *int   `json:"line"`
	Secret     string `json:"secret"`
	Message    string `json:"message"`
	Fix        string `json:"fix"`
	// Wins is, for secret-shadowed, the level the job reads.
	Wins string `json:"wins,omitempty"`
	// Via is file:line in the called workflow, for a use through a call.
	Via string `json:"via,omitempty"`
}

// InventoryJSON is the inventory as its JSON document.
func InventoryJSON(i inv.Inventory) InventoryDocument {
	doc := InventoryDocument{Version: JSONVersion, Owner: i.Owner, Repository: i.Only, Repositories: len(i.Repositories),
		Secrets: []InventorySecret{}, Findings: []InventoryFinding{}, NotVisible: []inv.Gap{}, Notes: i.Notes}
	for _, r := range i.Secrets {
		s := InventorySecret{Name: r.Name, Level: string(r.Level), Repository: r.Repository, Environment: r.Environment, Visibility: r.Visibility,
			SelectedRepositories: r.Selected, AgeDays: r.AgeDays, UsedBy: []InventoryUse{}, Images: r.Images, CheckedBy: []InventoryCheck{}, GitHubToken: r.GitHubToken}
		if !r.UpdatedAt.IsZero() {
			s.UpdatedAt = r.UpdatedAt.UTC().Format(time.RFC3339)
		}
		if s.Images == nil {
			s.Images = []string{}
		}
		for _, u := range r.UsedBy {
			s.UsedBy = append(s.UsedBy, InventoryUse{Repository: u.Repository, File: u.File, Line: u.Line, Job: u.Job, Environment: u.Environment, Via: u.Via, Role: string(u.Role)})
		}
		for _, c := range r.CheckedBy {
			s.CheckedBy = append(s.CheckedBy, InventoryCheck{Repository: c.Repository, File: c.File, Line: c.Line, Job: c.Job})
		}
		doc.Secrets = append(doc.Secrets, s)
	}
	for _, f := range i.Findings {
		jf := InventoryFinding{Code: string(f.Code), Severity: string(f.Severity), Repository: f.Repository, File: f.File, Secret: f.Secret,
			Message: f.Message, Fix: f.Fix, Wins: string(f.Wins), Via: f.Via}
		if f.File != "" {
			line := f.Line
			jf.Line = &line
		}
		doc.Findings = append(doc.Findings, jf)
	}
	doc.NotVisible = append(doc.NotVisible, i.NotVisible...)
	return doc
}

// RedactInventory applies f to every text of the inventory that came from
// GitHub or the workflows, or is said about them: f redacts tokens, or
// strips what a terminal must not be sent.
func RedactInventory(i inv.Inventory, f func(string) string) inv.Inventory {
	out := i
	out.Owner, out.Only = f(i.Owner), f(i.Only)
	out.Repositories = finding.MapAll(i.Repositories, f)
	out.Notes = finding.MapAll(i.Notes, f)
	out.Secrets = make([]inv.Row, len(i.Secrets))
	for k, r := range i.Secrets {
		r.Name, r.Repository, r.Environment, r.Visibility, r.GitHubToken = f(r.Name), f(r.Repository), f(r.Environment), f(r.Visibility), f(r.GitHubToken)
		r.Selected, r.Images = finding.MapAll(r.Selected, f), finding.MapAll(r.Images, f)
		uses := make([]inv.Use, len(r.UsedBy))
		for n, u := range r.UsedBy {
			u.Repository, u.Secret, u.File, u.Job, u.Step, u.Environment, u.Via = f(u.Repository), f(u.Secret), f(u.File), f(u.Job), f(u.Step), f(u.Environment), f(u.Via)
			uses[n] = u
		}
		r.UsedBy = uses
		checks := make([]inv.Check, len(r.CheckedBy))
		for n, c := range r.CheckedBy {
			c.Repository, c.File, c.Job = f(c.Repository), f(c.File), f(c.Job)
			checks[n] = c
		}
		r.CheckedBy = checks
		out.Secrets[k] = r
	}
	out.Findings = make([]inv.Finding, len(i.Findings))
	for k, fd := range i.Findings {
		fd.Repository, fd.Via = f(fd.Repository), f(fd.Via)
		fd.Message, fd.Fix, fd.Snippet, fd.Step, fd.Job, fd.Secret, fd.File = f(fd.Message), f(fd.Fix), f(fd.Snippet), f(fd.Step), f(fd.Job), f(fd.Secret), f(fd.File)
		out.Findings[k] = fd
	}
	out.NotVisible = make([]inv.Gap, len(i.NotVisible))
	for k, g := range i.NotVisible {
		g.Part, g.Repository, g.Environment, g.Secret, g.Reason, g.Permission = f(g.Part), f(g.Repository), f(g.Environment), f(g.Secret), f(g.Reason), f(g.Permission)
		out.NotVisible[k] = g
	}
	return out
}

// InventoryTerminal renders the inventory for a person: one line a secret
// in a table, then the findings with their fixes (the repository in front
// of each file, as compilers write places), then what could not be read,
// then the totals.
func InventoryTerminal(i inv.Inventory, st Style) string {
	i = RedactInventory(i, TerminalText)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", st.paint(sgrBold, inventoryHeading(i)))
	if len(i.Secrets) > 0 {
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SECRET\tLEVEL\tWHERE\tSET\tAGE\tUSED BY\tPUSHES\tCHECKED BY")
		for _, r := range i.Secrets {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Level, where(r), setDate(r), age(r), usedByText(r), pushesWords(r), checkedByText(r))
		}
		tw.Flush()
		b.WriteString("\n")
	}
	for _, r := range i.Secrets {
		if r.GitHubToken != "" {
			fmt.Fprintf(&b, "%s: %s\n", r.Name, r.GitHubToken)
		}
	}
	lastFix := ""
	for _, f := range i.Findings {
		fmt.Fprintf(&b, "%s: %s: %s\n", st.paint(sgrBold, findingPlace(f)), st.label(string(f.Severity), string(f.Code)), f.Message)
		if f.Via != "" {
			fmt.Fprintf(&b, "  via: %s\n", f.Via)
		}
		if f.Fix+f.Snippet == lastFix {
			b.WriteString("  fix: the same as above\n")
		} else {
			b.WriteString(indentFix(f.Fix, f.Snippet))
			lastFix = f.Fix + f.Snippet
		}
		fmt.Fprintf(&b, "  %s\n", st.paint(sgrDim, "see: "+CodeURL(string(f.Code))))
	}
	if len(i.NotVisible) > 0 {
		if len(i.Findings) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("not visible:\n")
		for _, g := range i.NotVisible {
			fmt.Fprintf(&b, "  %s: %s\n", gapSubject(g), g.Reason)
			if g.Permission != "" {
				fmt.Fprintf(&b, "    needs: %s\n", g.Permission)
			}
		}
	}
	for _, n := range i.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	b.WriteString("\n" + inventoryTotals(i, st) + "\n")
	return b.String()
}

func inventoryHeading(i inv.Inventory) string { return "token-gate inventory of " + InventoryName(i) }

// InventoryName is what the inventory is of: OWNER/REPO when one
// repository was read, else the owner.
func InventoryName(i inv.Inventory) string {
	if i.Only != "" {
		return i.Only
	}
	return i.Owner
}

// InventoryCounts says the totals in words, for the action's annotation
// and the inventory issue's title.
func InventoryCounts(i inv.Inventory) string {
	count := severityCounts(i.Findings)
	s := fmt.Sprintf("%s, %s, %s", plural(len(i.Secrets), "secret"), plural(count[finding.Error], "error"), plural(count[finding.Warning], "warning"))
	if len(i.NotVisible) > 0 {
		s += ", " + plural(len(i.NotVisible), "part") + " not visible"
	}
	return s
}

func severityCounts(findings []inv.Finding) map[finding.Severity]int {
	count := map[finding.Severity]int{}
	for _, f := range findings {
		count[f.Severity]++
	}
	return count
}

// findingPlace is repository/file:line:col, or the repository alone, or
// the owner for an organization-level finding.
func findingPlace(f inv.Finding) string {
	switch {
	case f.File != "":
		return fmt.Sprintf("%s/%s:%d:%d", f.Repository, f.File, f.Line, f.Column)
	case f.Repository != "":
		return f.Repository
	}
	return "organization"
}

func where(r inv.Row) string {
	switch r.Level {
	case inv.LevelOrganization:
		if r.Visibility == "selected" && r.SelectedRead {
			return fmt.Sprintf("selected (%s)", inventoryPlural(len(r.Selected), "repository"))
		}
		if r.Visibility == "" {
			return "shared with the repository"
		}
		return r.Visibility
	case inv.LevelEnvironment:
		return r.Repository + " env " + r.Environment
	}
	return r.Repository
}

func setDate(r inv.Row) string {
	if r.UpdatedAt.IsZero() {
		return "-"
	}
	return r.UpdatedAt.UTC().Format("2006-01-02")
}

func age(r inv.Row) string {
	if r.UpdatedAt.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%dd", r.AgeDays)
}

func usedByText(r inv.Row) string {
	if len(r.UsedBy) == 0 {
		return "nothing"
	}
	u := r.UsedBy[0]
	s := fmt.Sprintf("%s %s:%d (job %s)", u.Repository, u.File, u.Line, u.Job)
	if len(r.UsedBy) > 1 {
		s += fmt.Sprintf(" +%d more", len(r.UsedBy)-1)
	}
	return s
}

// pushesWords says what the secret does: the images it pushes, or that it
// publishes, or "-".
func pushesWords(r inv.Row) string {
	if len(r.Images) > 0 {
		s := r.Images[0]
		if len(r.Images) > 1 {
			s += fmt.Sprintf(" +%d more", len(r.Images)-1)
		}
		return s
	}
	switch {
	case slices.Contains(r.Roles, finding.RolePush):
		return "images (names not static)"
	case slices.Contains(r.Roles, finding.RolePublish):
		return "publishes"
	}
	return "-"
}

func checkedByText(r inv.Row) string {
	if !slices.Contains(r.Roles, finding.RolePush) && !slices.Contains(r.Roles, finding.RolePublish) && len(r.CheckedBy) == 0 {
		return "-"
	}
	if len(r.CheckedBy) == 0 {
		return "nothing"
	}
	c := r.CheckedBy[0]
	s := fmt.Sprintf("%s %s:%d", c.Repository, c.File, c.Line)
	if len(r.CheckedBy) > 1 {
		s += fmt.Sprintf(" +%d more", len(r.CheckedBy)-1)
	}
	return s
}

func gapSubject(g inv.Gap) string {
	s := g.Part
	switch {
	case g.Secret != "":
		s += " of " + g.Secret
	case g.Environment != "":
		s += " of environment " + g.Environment + " in " + g.Repository
	case g.Repository != "":
		s += " of " + g.Repository
	}
	return s
}

// inventoryTotals is the last line.
func inventoryTotals(i inv.Inventory, st Style) string {
	count := severityCounts(i.Findings)
	line := fmt.Sprintf("%s, %s, %s read: %s, %s, %s",
		inventoryPlural(len(i.Repositories), "repository"), plural(i.Workflows, "workflow"), plural(len(i.Secrets), "secret"),
		st.severity("error", plural(count[finding.Error], "error")), st.severity("warning", plural(count[finding.Warning], "warning")), plural(count[finding.Notice], "notice"))
	if len(i.NotVisible) > 0 {
		line += fmt.Sprintf("; %s not visible", plural(len(i.NotVisible), "part"))
	}
	if count[finding.Error] == 0 && count[finding.Warning] == 0 && len(i.NotVisible) == 0 {
		line = st.paint(sgrPass, line)
	}
	return line
}

// InventorySummary renders the step summary: the totals, the findings with
// their fixes, what could not be read, and the table of secrets, within
// GitHub's 1 MiB; past it, each part counts what it left out, and the
// run's log has it all.
func InventorySummary(i inv.Inventory) string {
	return inventoryMarkdown(i, true, MaxSummary-1024, "the run's log lists it all (the group \"token-gate: inventory\")")
}

// InventoryIssue renders the body of the inventory issue: what the summary
// says with dates in place of ages, so that it reads the same from one day
// to the next and is edited only when something changed; within budget
// characters, each part counting what it left out.
func InventoryIssue(i inv.Inventory, budget int) string {
	return inventoryMarkdown(i, false, budget, "the run's step summary and `token-gate inventory --json` list it all")
}

// inventoryPlural writes "1 repository", "3 repositories".
func inventoryPlural(n int, word string) string {
	if strings.HasSuffix(word, "y") && n != 1 {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return plural(n, word)
}

// budgeted is Markdown that stops growing at a budget of characters,
// keeping room for the notes that say what was left out.
type budgeted struct {
	b      strings.Builder
	budget int
	size   int
	left   int // lines left out of the current part
}

// room is what a part's closing note needs.
const room = 400

func (w *budgeted) line(s string) {
	n := utf8.RuneCountInString(s)
	if w.left > 0 || w.budget > 0 && w.size+n+room > w.budget {
		w.left++
		return
	}
	w.b.WriteString(s)
	w.size += n
}

// endPart writes what a part left out, and starts the next.
func (w *budgeted) endPart(what, rest string) {
	if w.left > 0 {
		s := fmt.Sprintf("\n_… and %d more %s, left out to keep within GitHub's limit: %s._\n", w.left, what, rest)
		w.b.WriteString(s)
		w.size += utf8.RuneCountInString(s)
	}
	w.left = 0
}

func inventoryMarkdown(i inv.Inventory, ages bool, budget int, rest string) string {
	w := &budgeted{budget: budget}
	count := severityCounts(i.Findings)
	head := fmt.Sprintf("## 🔑 %s\n\n%s, %s and %s read: **%s**, **%s**, %s.",
		literal(inventoryHeading(i)), inventoryPlural(len(i.Repositories), "repository"), plural(i.Workflows, "workflow"), plural(len(i.Secrets), "secret"),
		plural(count[finding.Error], "error"), plural(count[finding.Warning], "warning"), plural(count[finding.Notice], "notice"))
	if len(i.NotVisible) > 0 {
		head += fmt.Sprintf(" %s could not be read (below).", plural(len(i.NotVisible), "part"))
	}
	w.line(head + " No secret's value is read: GitHub shows only names and dates.\n")
	for _, n := range i.Notes {
		w.line(fmt.Sprintf("\n> ℹ️ %s\n", literal(n)))
	}
	if len(i.NotVisible) > 0 {
		w.line("\n### Not visible\n\n")
		for _, g := range i.NotVisible {
			line := fmt.Sprintf("- **%s**: %s", literal(gapSubject(g)), literal(g.Reason))
			if g.Permission != "" {
				line += fmt.Sprintf(". Needs %s", literal(g.Permission))
			}
			w.line(line + "\n")
		}
		w.endPart("parts not visible", rest)
	}
	if len(i.Findings) > 0 {
		w.line("\n### Findings\n\n")
		lastFix := ""
		for _, f := range i.Findings {
			icon := map[finding.Severity]string{finding.Error: "❌", finding.Warning: "⚠️", finding.Notice: "ℹ️"}[f.Severity]
			line := fmt.Sprintf("- %s %s [%s](%s): %s\n", icon, CodeSpan(findingPlace(f)), f.Code, CodeURL(string(f.Code)), literal(f.Message))
			if f.Fix != lastFix {
				line += fmt.Sprintf("  - Fix: %s\n", literal(f.Fix))
				lastFix = f.Fix
			}
			w.line(line)
		}
		w.endPart("findings", rest)
	}
	if len(i.Secrets) == 0 {
		return w.b.String()
	}
	header := "\n### Secrets\n\n| Secret | Level | Where | Set | "
	if ages {
		header += "Age | "
	}
	header += "Used by | Pushes | Checked by |\n|---|---|---|---|"
	if ages {
		header += "---|"
	}
	w.line(header + "---|---|---|\n")
	for _, r := range i.Secrets {
		row := fmt.Sprintf("| %s | %s | %s | %s | ", CodeSpan(r.Name), r.Level, literalCell(where(r)), setDate(r))
		if ages {
			row += age(r) + " | "
		}
		w.line(row + fmt.Sprintf("%s | %s | %s |\n", literalCell(usedByText(r)), literalCell(pushesWords(r)), literalCell(checkedByText(r))))
	}
	w.endPart("secrets", rest)
	for _, r := range i.Secrets {
		if r.GitHubToken != "" {
			w.line(fmt.Sprintf("\n- %s: %s\n", CodeSpan(r.Name), literal(r.GitHubToken)))
		}
	}
	w.endPart("notes on GITHUB_TOKEN", rest)
	return w.b.String()
}

// literal makes server text (names, paths, GitHub's words) inert in
// Markdown, URLs included: unlike a fix's own links, nothing in it is
// meant to link, so an address in a name cannot carry a mention or markup
// past the escaping.
func literal(s string) string { return markdownEscaper.Replace(stripControl(s)) }

// literalCell is literal text inside a table cell.
func literalCell(s string) string { return strings.ReplaceAll(literal(s), "|", `\|`) }
