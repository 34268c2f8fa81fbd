package report

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/gate"
)

var statusIcon = map[gate.Status]string{
	gate.Pass:          "✅ pass",
	gate.Fail:          "❌ fail",
	gate.Warn:          "⚠️ warn",
	gate.Skipped:       "⏭️ skipped",
	gate.NotApplicable: "➖ n/a",
	gate.Unverified:    "❔ unverified",
}

var verdictIcon = map[string]string{
	"failed":               "❌",
	"not checked":          "⏭️",
	"passed with warnings": "⚠️",
	"passed":               "✅",
}

// summary renders the Markdown step summary. One token gets its detail: facts,
// checks, images and problems. Several get the inventory: one row per token,
// soonest trouble first, then the problems under it.
func summary(run gate.Run, o StepOptions) string {
	var b strings.Builder
	if len(run.Verdicts) == 1 {
		single(&b, run.Verdicts[0])
	} else {
		inventory(&b, run.Verdicts)
	}
	if len(run.Reminders) > 0 {
		b.WriteString("\n### Reminder issues\n\n| Token | Action | Issue |\n|---|---|---|\n")
		for _, r := range run.Reminders {
			fmt.Fprintf(&b, "| %s | %s | [#%d](%s) |\n", cell(r.Name), cell(r.Action), r.Number, linkTarget(r.URL))
		}
	}
	if len(run.Findings) > 0 {
		b.WriteString("\n### Run\n\n")
		for _, f := range run.Findings {
			fmt.Fprintf(&b, "- **%s** (%s): %s\n", cell(f.Title), f.Severity, Markdown(f.Message))
		}
	}
	auditSummary(&b, run, o)
	return b.String()
}

// auditSummary is the workflow audit's part of the summary: every finding
// with its fix, every push credential with where it is used, and its
// totals; or the one line that says how to turn it on.
func auditSummary(b *strings.Builder, run gate.Run, o StepOptions) {
	if run.AuditSkipped != "" {
		fmt.Fprintf(b, "\n> ℹ️ **Workflow audit not made:** %s\n", Markdown(run.AuditSkipped))
		return
	}
	if run.Audit == nil {
		return
	}
	res := *run.Audit
	mode := "warn: its errors are warnings"
	if run.AuditFails {
		mode = "fail: its errors fail this step"
	}
	fmt.Fprintf(b, "\n### Workflow audit\n\n%s (audit: %s).\n", Markdown(AuditTotals(res)), mode)
	if o.AuditShownBy != "" {
		fmt.Fprintf(b, "\nIts findings are annotated and listed once, by %s.\n", o.shownBy())
		return
	}
	if len(res.Findings) > 0 {
		b.WriteString("\n")
	}
	lastFix := ""
	for _, f := range res.Findings {
		icon := map[finding.Severity]string{finding.Error: "❌", finding.Warning: "⚠️", finding.Notice: "ℹ️"}[f.Severity]
		fmt.Fprintf(b, "- %s %s [%s](%s): %s\n", icon, CodeSpan(fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)), f.Code, CodeURL(string(f.Code)), Markdown(f.Message))
		if f.Fix+f.Snippet == lastFix {
			continue
		}
		lastFix = f.Fix + f.Snippet
		if f.Snippet == "" {
			fmt.Fprintf(b, "  - Fix: %s\n", Markdown(f.Fix))
			continue
		}
		fmt.Fprintf(b, "  <details><summary>Fix: %s</summary>\n\n  %s\n", Markdown(f.Fix), fenced(Block(strings.TrimRight(f.Snippet, "\n")), "yaml"))
		b.WriteString("  </details>\n")
	}
	if len(res.Credentials) > 0 {
		b.WriteString("\n| Push credential | Registry | Used in | Pushes | Checked by |\n|---|---|---|---|---|\n")
		for _, c := range res.Credentials {
			checked := "nothing"
			if len(c.CheckedBy) > 0 {
				var places []string
				for _, p := range c.CheckedBy {
					places = append(places, fmt.Sprintf("%s:%d (%s)", p.File, p.Line, p.Job))
				}
				checked = strings.Join(places, ", ")
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", CodeSpan(c.Secret), cell(c.Registry), cell(usesText(c)), cell(pushesText(c)), cell(checked))
		}
	}
}

// maxPlacesShown bounds the places a summary cell lists, each once: a fan
// of reusable calls must not push the token's own findings past the
// summary's limit (the audit's section and the log list them all).
const maxPlacesShown = 10

// usesText is where a credential is used: file:line (job), each place once,
// at most maxPlacesShown of them.
func usesText(c finding.Credential) string {
	places := UsePlaces(c.Uses)
	var out []string
	for i, p := range places {
		if i == maxPlacesShown {
			out = append(out, fmt.Sprintf("and %d more", len(places)-i))
			break
		}
		out = append(out, p.Text())
	}
	return strings.Join(out, ", ")
}

// fenced puts text in a Markdown code block whose fence no line of it can
// close, indented to sit in a list item.
func fenced(text, lang string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	lines := strings.Split(text, "\n")
	return fence + lang + "\n  " + strings.Join(lines, "\n  ") + "\n  " + fence
}

func single(b *strings.Builder, v gate.Verdict) {
	word := verdictWord(v)
	fmt.Fprintf(b, "## %s token-gate: %s %s\n\n", verdictIcon[word], CodeSpan(v.TokenName), word)
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Kind | %s (`%s`) |\n", v.Kind.Describe(), v.Kind)
	fmt.Fprintf(b, "| Login | %s |\n", cell(orDash(v.Login)))
	fmt.Fprintf(b, "| Scopes | %s |\n", cell(scopesText(v)))
	if len(v.MissingScopes) > 0 {
		fmt.Fprintf(b, "| Missing scopes | %s |\n", cell(strings.Join(v.MissingScopes, ", ")))
	}
	fmt.Fprintf(b, "| Expires | %s |\n", expiryText(v))
	fmt.Fprintf(b, "| Days left | %s |\n", daysText(v))
	if v.UsedBy != nil {
		fmt.Fprintf(b, "| Used in | %s |\n", cell(usesText(*v.UsedBy)))
		fmt.Fprintf(b, "| Pushes | %s |\n", cell(pushesText(*v.UsedBy)))
	}
	b.WriteString("\n| Check | Result | Detail |\n|---|---|---|\n")
	for _, c := range v.Checks {
		fmt.Fprintf(b, "| %s | %s | %s |\n", c.Name, statusIcon[c.Status], cell(c.Detail))
	}
	images(b, v.Images)
	problems(b, v.Findings)
}

func inventory(b *strings.Builder, vs []gate.Verdict) {
	failed := 0
	for _, v := range vs {
		if !v.Passed() {
			failed++
		}
	}
	icon := "✅"
	if failed > 0 {
		icon = "❌"
	}
	fmt.Fprintf(b, "## %s token-gate: %d tokens, %d failed\n\n", icon, len(vs), failed)
	b.WriteString("| Token | Kind | Login | Scopes | Expires | Days left | Verdict | Used in |\n|---|---|---|---|---|---|---|---|\n")
	sorted := ByDaysLeft(vs)
	for _, v := range sorted {
		word := verdictWord(v)
		used := orDash("")
		if v.UsedBy != nil {
			used = usesText(*v.UsedBy) + "; pushes " + pushesText(*v.UsedBy)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s %s | %s |\n",
			CodeSpan(v.TokenName), v.Kind, cell(orDash(v.Login)), cell(scopesText(v)), expiryText(v), daysText(v), verdictIcon[word], word, cell(used))
	}
	for _, v := range sorted {
		if len(v.Images) > 0 {
			fmt.Fprintf(b, "\n#### %s: packages\n", CodeSpan(v.TokenName))
			images(b, v.Images)
		}
	}
	var all []gate.Finding
	for _, v := range sorted {
		for _, f := range v.Findings {
			f.Title = v.TokenName + ": " + f.Title
			all = append(all, f)
		}
	}
	problems(b, all)
}

func images(b *strings.Builder, rs []facts.ImageResult) {
	if len(rs) == 0 {
		return
	}
	b.WriteString("\n| Image | Push | Registry said |\n|---|---|---|\n")
	for _, r := range rs {
		icon := "❌"
		switch r.Outcome {
		case facts.Pushable:
			icon = "✅"
		case facts.Unreachable, facts.RateLimited, facts.Unexpected, facts.NotProbed:
			icon = "❔"
		}
		fmt.Fprintf(b, "| %s | %s %s | %s |\n", CodeSpan(r.Image.String()), icon, imageText(r), cell(orDash(r.Message)))
	}
}

func problems(b *strings.Builder, fs []gate.Finding) {
	if len(fs) == 0 {
		return
	}
	b.WriteString("\n### Findings\n\n")
	for _, f := range fs {
		icon := map[gate.Severity]string{gate.Error: "❌", gate.Warning: "⚠️", gate.Notice: "ℹ️"}[f.Severity]
		link := ""
		if f.Code != "" {
			link = fmt.Sprintf(" ([%s](%s))", f.Code, CodeURL(string(f.Code)))
		}
		fmt.Fprintf(b, "- %s **%s**%s: %s\n", icon, Markdown(f.Title), link, Markdown(f.Message))
	}
}
