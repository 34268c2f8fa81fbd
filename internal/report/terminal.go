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

// Terminal renders the plain-text report for a person at a terminal: each
// token's facts and checks, its findings as `error[code]: title`, the
// message and the code's link, and one totals line at the end.
func Terminal(run gate.Run, st Style) string {
	// Server text is made safe first; the colours come after.
	run = run.Redacted(TerminalText)
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
			b.WriteString(terminalFinding(f, st))
		}
	}
	for i, f := range run.Findings {
		if i == 0 {
			b.WriteString("\n")
		}
		b.WriteString(terminalFinding(f, st))
	}
	for _, r := range run.Reminders {
		fmt.Fprintf(&b, "\nreminder %s for %s: %s\n", r.Action, r.Name, r.URL)
	}
	b.WriteString("\n" + checkTotals(run, st) + "\n")
	// Server text may hold a line break: none of its lines may read as a
	// workflow command when a run: step prints this.
	return LogSafe(b.String())
}

func terminalFinding(f gate.Finding, st Style) string {
	head := st.severity(string(f.Severity), string(f.Severity))
	if f.Code != "" {
		head = st.label(string(f.Severity), string(f.Code))
	}
	text := fmt.Sprintf("%s: %s\n%s\n", head, f.Title, wrap(f.Message, 78, "    "))
	if f.Code != "" {
		text += "    " + st.paint(sgrDim, "see: "+CodeURL(string(f.Code))) + "\n"
	}
	return text
}

// checkTotals is the check's last line: "2 tokens checked: 1 failed (2
// errors, 1 warning), 1 passed".
func checkTotals(run gate.Run, st Style) string {
	failed, passed, errs, warns := 0, 0, 0, 0
	for _, v := range run.Verdicts {
		if v.Passed() {
			passed++
		} else {
			failed++
		}
		for _, f := range v.Findings {
			switch f.Severity {
			case gate.Error:
				errs++
			case gate.Warning:
				warns++
			}
		}
	}
	var counts []string
	if errs > 0 {
		counts = append(counts, plural(errs, "error"))
	}
	if warns > 0 {
		counts = append(counts, plural(warns, "warning"))
	}
	detail := ""
	if len(counts) > 0 {
		detail = " (" + strings.Join(counts, ", ") + ")"
	}
	var parts []string
	if failed > 0 {
		parts = append(parts, st.severity("error", fmt.Sprintf("%d failed%s", failed, detail)))
	}
	if passed > 0 {
		p := fmt.Sprintf("%d passed", passed)
		if failed == 0 {
			p += detail
		}
		parts = append(parts, st.paint(sgrPass, p))
	}
	line := plural(len(run.Verdicts), "token") + " checked"
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	return line
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
