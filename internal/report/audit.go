package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/finding"
)

// JSONVersion is the version of every JSON document token-gate writes: the
// audit's --json, the check's --json and its report output. Fields may be
// added within a version; none is renamed, retyped or removed
// (docs/json.md, "JSON").
const JSONVersion = 1

// AuditDocument is `token-gate audit --json` (--format json).
type AuditDocument struct {
	Version int `json:"version"`
	// Repository is what github.repository was read as, and where from;
	// absent when the audit did not know it.
	Repository  *Repository       `json:"repository,omitempty"`
	Workflows   []string          `json:"workflows"`
	Credentials []Credential      `json:"credentials"`
	Findings    []finding.Finding `json:"findings"`
	// Publishes are every step that publishes or pushes, once each;
	// Secrets every place a workflow reads a secret, pushing or not.
	Publishes []finding.Publish   `json:"publishes"`
	Secrets   []finding.SecretRef `json:"secrets"`
	// Suppressed counts the findings that ignore comments suppress; with
	// --no-ignore, SuppressedFindings lists them.
	Suppressed         int                         `json:"suppressed"`
	SuppressedFindings []finding.SuppressedFinding `json:"suppressed-findings,omitempty"`
}

// Repository is the repository the audit read github.repository as.
type Repository struct {
	Name string `json:"name"`
	From string `json:"from"`
}

// Credential is a push credential in JSON. Every key is kebab-case;
// checked_by, its one snake_case key in the first release, is kept beside
// checked-by for the life of version 1 (docs/formats.md, "JSON").
type Credential struct {
	finding.Credential
	CheckedByKebab []finding.CheckPlace `json:"checked-by"`
}

// credentialJSON is c as JSON, both spellings of checked-by filled.
func credentialJSON(c finding.Credential) Credential {
	return Credential{Credential: c, CheckedByKebab: c.CheckedBy}
}

// AuditOptions are how an audit is shown.
type AuditOptions struct {
	Style Style
	// ShowSuppressed lists the findings that ignore comments suppress
	// (--no-ignore); without it only their count is shown.
	ShowSuppressed bool
}

// AuditReport is the audit inside the check's JSON. Like Usage, it
// marshals itself, so that a check without an audit pays nothing for it.
type AuditReport struct{ AuditDocument }

// MarshalJSON writes the audit's document.
func (a AuditReport) MarshalJSON() ([]byte, error) { return json.Marshal(a.AuditDocument) }

// AuditJSON is the audit as its JSON document.
func AuditJSON(res finding.Report, o AuditOptions) AuditDocument {
	doc := AuditDocument{Version: JSONVersion, Workflows: res.Workflows, Credentials: []Credential{}, Findings: res.Findings, Suppressed: len(res.Suppressed)}
	if doc.Workflows == nil {
		doc.Workflows = []string{}
	}
	for _, c := range res.Credentials {
		doc.Credentials = append(doc.Credentials, credentialJSON(c))
	}
	if doc.Findings == nil {
		doc.Findings = []finding.Finding{}
	}
	doc.Publishes, doc.Secrets = res.Publishes, res.Secrets
	if doc.Publishes == nil {
		doc.Publishes = []finding.Publish{}
	}
	if doc.Secrets == nil {
		doc.Secrets = []finding.SecretRef{}
	}
	if res.Repository != "" {
		doc.Repository = &Repository{Name: res.Repository, From: res.RepositoryFrom}
	}
	if o.ShowSuppressed {
		doc.SuppressedFindings = res.Suppressed
	}
	return doc
}

// MarshalAudit is the audit's JSON document as bytes to print: indented,
// and safe in a run: step's log (SafeJSON).
func MarshalAudit(res finding.Report, o AuditOptions) []byte {
	data, _ := json.MarshalIndent(AuditJSON(res, o), "", "  ")
	return SafeJSON(data)
}

// plainAudit is res with every text it quotes from the workflows made safe
// to print: one line each (Inline), the snippets' lines kept (Block).
func plainAudit(res finding.Report) finding.Report {
	out := res.Redacted(Inline)
	for i := range out.Findings {
		out.Findings[i].Snippet = Block(res.Findings[i].Snippet)
	}
	for i := range out.Suppressed {
		out.Suppressed[i].Snippet = Block(res.Suppressed[i].Snippet)
	}
	return out
}

// AuditTerminal renders the audit for a person: the findings grouped by
// file, each `file:line:col: severity[code]: message` on one line (as
// compilers and linters write them, so editors jump to them), its fix and
// its link below; with ShowSuppressed, the findings ignore comments
// suppress, each with its comment's line; then every push credential,
// where it is used, what it pushes and what checks it; then one totals
// line. Workflow text in it is escaped, and nothing in it reads as a
// workflow command (LogSafe), so a run: step may print it.
func AuditTerminal(res finding.Report, o AuditOptions) string {
	st := o.Style
	// The workflows' text is made safe first; the colours come after.
	res = plainAudit(res)
	var b strings.Builder
	findingsText(&b, res.Findings, st, nil)
	if o.ShowSuppressed && len(res.Suppressed) > 0 {
		if len(res.Findings) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "suppressed by ignore comments (shown by --no-ignore; they fail nothing):\n")
		fs := make([]finding.Finding, len(res.Suppressed))
		lines := make([]int, len(res.Suppressed))
		for i, sf := range res.Suppressed {
			fs[i], lines[i] = sf.Finding, sf.CommentLine
		}
		findingsText(&b, fs, st, lines)
	}
	if len(res.Credentials) > 0 {
		if len(res.Findings) > 0 || o.ShowSuppressed && len(res.Suppressed) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("push credentials:\n")
		for _, c := range res.Credentials {
			b.WriteString(credentialText(c))
		}
	}
	if res.Repository != "" {
		fmt.Fprintf(&b, "\ngithub.repository read as %s (%s)\n", res.Repository, res.RepositoryFrom)
	}
	b.WriteString("\n" + auditTotals(res, st) + "\n")
	return LogSafe(b.String())
}

// findingsText writes findings as AuditTerminal shows them; commentLines,
// when given, are the lines of the comments that suppress them.
func findingsText(b *strings.Builder, fs []finding.Finding, st Style, commentLines []int) {
	lastFile, lastFix := "", ""
	for i, f := range fs {
		if f.File != lastFile {
			if lastFile != "" {
				b.WriteString("\n")
			}
			lastFile, lastFix = f.File, ""
		}
		fmt.Fprintf(b, "%s: %s: %s\n", st.paint(sgrBold, fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)), st.label(string(f.Severity), string(f.Code)), f.Message)
		if commentLines != nil {
			fmt.Fprintf(b, "  suppressed by the comment on line %d\n", commentLines[i])
		}
		switch {
		case f.Fix+f.Snippet == lastFix:
			b.WriteString("  fix: the same as above\n")
		default:
			b.WriteString(indentFix(f.Fix, f.Snippet))
			lastFix = f.Fix + f.Snippet
		}
		fmt.Fprintf(b, "  %s\n", st.paint(sgrDim, "see: "+CodeURL(string(f.Code))))
	}
}

// indentFix writes a fix under its finding: "  fix: " before its words,
// and the workflow text it shows indented beneath.
func indentFix(fix, snippet string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  fix: %s\n", fix)
	if snippet == "" {
		return b.String()
	}
	for _, l := range strings.Split(strings.TrimRight(snippet, "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("      " + l + "\n")
	}
	return b.String()
}

// credentialText is one credential for the terminal and the log, under
// "push credentials:": its secret and registry, then where it is used,
// what it pushes and what checks it, each list's word on its first row.
// A checking step's place reads as a use's does.
func credentialText(c finding.Credential) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s (%s)", c.Secret, c.Registry)
	if c.Username != "" {
		fmt.Fprintf(&b, ", username %s", c.Username)
	}
	b.WriteString("\n")
	row := func(word, text string) { fmt.Fprintf(&b, "    %-10s %s\n", word, text) }
	for i, p := range UsePlaces(c.Uses) {
		row(firstRow(i, "used"), p.Text())
	}
	row("pushes", pushesText(c))
	if c.CannotCheck != "" {
		row("not checked", "token-gate cannot check it: "+c.CannotCheck)
	}
	if len(c.CheckedBy) == 0 {
		row("checked by", "nothing")
	}
	for i, p := range c.CheckedBy {
		row(firstRow(i, "checked by"), UsePlace{File: p.File, Line: p.Line, Job: p.Job}.Text())
	}
	return b.String()
}

// firstRow is a list's word on its first row, and nothing on the others.
func firstRow(i int, word string) string {
	if i > 0 {
		return ""
	}
	return word
}

// pushesText says what a credential pushes: the images named, and what
// the audit could not name; a credential seen only logging in pushes
// nothing the audit sees.
func pushesText(c finding.Credential) string {
	switch {
	case len(c.Images) > 0 && c.PushesUnnamed:
		return strings.Join(c.Images, ", ") + ", and images the audit cannot name"
	case len(c.Images) > 0:
		return strings.Join(c.Images, ", ")
	case c.PushesUnnamed:
		return "images the audit cannot name"
	}
	return "nothing the audit sees: it only logs in (to pull, or for a tool token-gate does not know)"
}

// AuditTotals is the audit's totals line without colour: "2 workflows
// read, 1 push credential: 1 error, 0 warnings, 0 notices, 2 suppressed".
func AuditTotals(res finding.Report) string { return auditTotals(res, Style{}) }

// auditTotals is the audit's last line. It only counts, so it quotes no
// workflow text and needs none escaped.
func auditTotals(res finding.Report, st Style) string {
	count := map[finding.Severity]int{}
	for _, f := range res.Findings {
		count[f.Severity]++
	}
	line := fmt.Sprintf("%s read, %s: %s, %s, %s", plural(len(res.Workflows), "workflow"), plural(len(res.Credentials), "push credential"),
		st.severity("error", plural(count[finding.Error], "error")), st.severity("warning", plural(count[finding.Warning], "warning")), plural(count[finding.Notice], "notice"))
	if n := len(res.Suppressed); n > 0 {
		line += fmt.Sprintf(", %d suppressed", n)
	}
	if count[finding.Error] == 0 && count[finding.Warning] == 0 {
		line = st.paint(sgrPass, line)
	}
	return line
}
