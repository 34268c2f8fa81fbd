package report

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/gate"
)

var terminalMark = map[gate.Status]string{
	gate.Pass:          "ok  ",
	gate.Fail:          "FAIL",
	gate.Warn:          "warn",
	gate.Skipped:       "skip",
	gate.NotApplicable: "n/a ",
	gate.Unverified:    "??  ",
}

// Terminal renders the plain-text report for a person at a terminal.
func Terminal(run gate.Run) string {
	var b strings.Builder
	for i, v := range run.Verdicts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s: %s\n", v.TokenName, strings.ToUpper(verdictWord(v)))
		fmt.Fprintf(&b, "  kind     %s (%s)\n", v.Kind.Describe(), v.Kind)
		fmt.Fprintf(&b, "  login    %s\n", orDash(v.Login))
		fmt.Fprintf(&b, "  scopes   %s\n", scopesText(v))
		fmt.Fprintf(&b, "  expires  %s", expiryText(v))
		if v.HasExpiry() {
			fmt.Fprintf(&b, " (%s days left)", daysText(v))
		}
		b.WriteString("\n\n")
		for _, c := range v.Checks {
			fmt.Fprintf(&b, "  [%s] %-18s %s\n", terminalMark[c.Status], c.Name, c.Detail)
		}
		for _, r := range v.Images {
			mark := "??  "
			switch r.Outcome {
			case facts.Pushable:
				mark = "ok  "
			case facts.Denied:
				mark = "FAIL"
			}
			line := fmt.Sprintf("  [%s] push %s: %s", mark, r.Image, imageText(r))
			if r.Message != "" {
				line += fmt.Sprintf(" %q", r.Message)
			}
			b.WriteString(line + "\n")
		}
		if len(v.Findings) > 0 {
			b.WriteString("\n")
		}
		for _, f := range v.Findings {
			fmt.Fprintf(&b, "%s: %s\n%s\n", f.Severity, f.Title, wrap(f.Message, 78, "    "))
		}
	}
	for _, f := range run.Findings {
		fmt.Fprintf(&b, "\n%s: %s\n%s\n", f.Severity, f.Title, wrap(f.Message, 78, "    "))
	}
	for _, r := range run.Reminders {
		fmt.Fprintf(&b, "\nreminder %s for %s: %s\n", r.Action, r.Name, r.URL)
	}
	return TerminalText(b.String())
}

// wrap breaks s into lines of at most width columns, indented; a word longer
// than a line (a URL) stands alone rather than being broken.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	for _, para := range strings.Split(s, "\n") {
		line := indent
		for _, w := range strings.Fields(para) {
			if len(line) > len(indent) && len(line)+1+len(w) > width {
				b.WriteString(strings.TrimRight(line, " ") + "\n")
				line = indent
			}
			if len(line) > len(indent) {
				line += " "
			}
			line += w
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
