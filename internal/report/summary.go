package report

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/facts"
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
func summary(run gate.Run) string {
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
	return b.String()
}

func single(b *strings.Builder, v gate.Verdict) {
	word := verdictWord(v)
	fmt.Fprintf(b, "## %s token-gate: %s %s\n\n", verdictIcon[word], code(v.TokenName), word)
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Kind | %s (`%s`) |\n", v.Kind.Describe(), v.Kind)
	fmt.Fprintf(b, "| Login | %s |\n", cell(orDash(v.Login)))
	fmt.Fprintf(b, "| Scopes | %s |\n", cell(scopesText(v)))
	if len(v.MissingScopes) > 0 {
		fmt.Fprintf(b, "| Missing scopes | %s |\n", cell(strings.Join(v.MissingScopes, ", ")))
	}
	fmt.Fprintf(b, "| Expires | %s |\n", expiryText(v))
	fmt.Fprintf(b, "| Days left | %s |\n", daysText(v))
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
	b.WriteString("| Token | Kind | Login | Scopes | Expires | Days left | Verdict |\n|---|---|---|---|---|---|---|\n")
	sorted := ByDaysLeft(vs)
	for _, v := range sorted {
		word := verdictWord(v)
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s %s |\n",
			code(v.TokenName), v.Kind, cell(orDash(v.Login)), cell(scopesText(v)), expiryText(v), daysText(v), verdictIcon[word], word)
	}
	for _, v := range sorted {
		if len(v.Images) > 0 {
			fmt.Fprintf(b, "\n#### %s: packages\n", code(v.TokenName))
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
		fmt.Fprintf(b, "| %s | %s %s | %s |\n", code(r.Image.String()), icon, imageText(r), cell(orDash(r.Message)))
	}
}

func problems(b *strings.Builder, fs []gate.Finding) {
	if len(fs) == 0 {
		return
	}
	b.WriteString("\n### Findings\n\n")
	for _, f := range fs {
		icon := map[gate.Severity]string{gate.Error: "❌", gate.Warning: "⚠️", gate.Notice: "ℹ️"}[f.Severity]
		fmt.Fprintf(b, "- %s **%s**: %s\n", icon, Markdown(f.Title), Markdown(f.Message))
	}
}
