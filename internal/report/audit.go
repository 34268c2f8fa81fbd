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

// AuditDocument is `token-gate audit --json`.
type AuditDocument struct {
	Version     int                  `json:"version"`
	Workflows   []string             `json:"workflows"`
	Credentials []finding.Credential `json:"credentials"`
	Findings    []finding.Finding    `json:"findings"`
}

// AuditReport is the audit inside the check's JSON. Like Usage, it
// marshals itself, so that a check without an audit pays nothing for it.
type AuditReport struct{ AuditDocument }

// MarshalJSON writes the audit's document.
func (a AuditReport) MarshalJSON() ([]byte, error) { return json.Marshal(a.AuditDocument) }

// AuditJSON is the audit as its JSON document.
func AuditJSON(res finding.Report) AuditDocument {
	doc := AuditDocument{Version: JSONVersion, Workflows: res.Workflows, Credentials: res.Credentials, Findings: res.Findings}
	if doc.Workflows == nil {
		doc.Workflows = []string{}
	}
	if doc.Credentials == nil {
		doc.Credentials = []finding.Credential{}
	}
	if doc.Findings == nil {
		doc.Findings = []finding.Finding{}
	}
	return doc
}

// AuditTerminal renders the audit for a person: the findings grouped by
// file, each `file:line:col: severity[code]: message` on one line (as
// compilers and linters write them, so editors jump to them), its fix and
// its link below; then every push credential, where it is used, what it
// pushes and what checks it; then one totals line.
func AuditTerminal(res finding.Report, st Style) string {
	// The workflows' text is made safe first; the colours come after.
	res = res.Redacted(TerminalText)
	var b strings.Builder
	lastFile, lastFix := "", ""
	for _, f := range res.Findings {
		if f.File != lastFile {
			if lastFile != "" {
				b.WriteString("\n")
			}
			lastFile, lastFix = f.File, ""
		}
		fmt.Fprintf(&b, "%s: %s: %s\n", st.paint(sgrBold, fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)), st.label(string(f.Severity), string(f.Code)), f.Message)
		switch {
		case f.Fix+f.Snippet == lastFix:
			b.WriteString("  fix: the same as above\n")
		default:
			b.WriteString(indentFix(f.Fix, f.Snippet))
			lastFix = f.Fix + f.Snippet
		}
		fmt.Fprintf(&b, "  %s\n", st.paint(sgrDim, "see: "+CodeURL(string(f.Code))))
	}
	if len(res.Credentials) > 0 {
		if len(res.Findings) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("push credentials:\n")
		for _, c := range res.Credentials {
			b.WriteString(credentialText(c, "  "))
		}
	}
	b.WriteString("\n" + auditTotals(res, st) + "\n")
	return b.String()
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

// credentialText is one credential for the terminal and the log: its
// secret and registry, then where it is used, what it pushes and what
// checks it.
func credentialText(c finding.Credential, indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s (%s)", indent, c.Secret, c.Registry)
	if c.Username != "" {
		fmt.Fprintf(&b, ", username %s", c.Username)
	}
	b.WriteString("\n")
	for i, u := range c.Uses {
		word := "used"
		if i > 0 {
			word = ""
		}
		fmt.Fprintf(&b, "%s  %-10s %s\n", indent, word, useText(u))
	}
	pushes := "nothing the audit can name"
	if len(c.Images) > 0 {
		pushes = strings.Join(c.Images, ", ")
	}
	fmt.Fprintf(&b, "%s  %-10s %s\n", indent, "pushes", pushes)
	if len(c.CheckedBy) == 0 {
		fmt.Fprintf(&b, "%s  %-10s %s\n", indent, "checked by", "nothing")
	}
	for i, p := range c.CheckedBy {
		word := "checked by"
		if i > 0 {
			word = ""
		}
		fmt.Fprintf(&b, "%s  %-10s %s:%d (job %s)\n", indent, word, p.File, p.Line, p.Job)
	}
	return b.String()
}

func useText(u finding.Place) string {
	return fmt.Sprintf("%s:%d (job %s)", u.File, u.Line, u.Job)
}

// auditTotals is the audit's last line.
func auditTotals(res finding.Report, st Style) string {
	count := map[finding.Severity]int{}
	for _, f := range res.Findings {
		count[f.Severity]++
	}
	line := fmt.Sprintf("%s read, %s: %s, %s, %s", plural(len(res.Workflows), "workflow"), plural(len(res.Credentials), "push credential"),
		st.severity("error", plural(count[finding.Error], "error")), st.severity("warning", plural(count[finding.Warning], "warning")), plural(count[finding.Notice], "notice"))
	if count[finding.Error] == 0 && count[finding.Warning] == 0 {
		line = st.paint(sgrPass, line)
	}
	return line
}
