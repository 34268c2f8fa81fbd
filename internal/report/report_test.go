package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/token"
)

func TestAnnotationMessagesAreCut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 5000)
	run := gate.Run{Verdicts: []gate.Verdict{{TokenName: "T", Kind: token.ClassicPAT, Findings: []gate.Finding{{Severity: gate.Error, Title: "t", Message: long}}}}}
	got := Annotations(run, StepOptions{})
	if len(got) != 1 || len(got[0].Message) != MaxMessage || !strings.HasSuffix(got[0].Message, "(cut; see the step summary)") {
		t.Errorf("message of %d bytes not cut to %d with a note", len(got[0].Message), MaxMessage)
	}
}

func TestSummaryEscapesUntrustedText(t *testing.T) {
	t.Parallel()
	run := gate.Run{Verdicts: []gate.Verdict{{TokenName: "T", Kind: token.ClassicPAT, Login: "a|b",
		Findings: []gate.Finding{{Severity: gate.Error, Title: "t", Message: "<img src=x> and\nmore"}}}}}
	s := Summary(run)
	if strings.Contains(s, "<img") || !strings.Contains(s, `a\|b`) || strings.Contains(s, "and\nmore") {
		t.Errorf("untrusted text not escaped:\n%s", s)
	}
}

// Server text in an annotation (a registry's refusal, GitHub's message)
// reaches the log and the annotation with its escape sequences and bidi
// controls escaped, and the check's terminal report, printed by a run:
// step, with no line the runner would take for a command.
func TestServerTextIsEscaped(t *testing.T) {
	t.Parallel()
	msg := "denied\x1b]8;;https://evil.example\x07 \u202eexe.\n::set-output name=valid::true ##[error]x"
	run := gate.Run{Verdicts: []gate.Verdict{{TokenName: "T", Kind: token.ClassicPAT,
		Findings: []gate.Finding{{Code: gate.CodeCannotPush, Severity: gate.Error, Title: "Cannot\x07 push", Message: msg}}}}}
	for _, a := range Annotations(run, StepOptions{}) {
		if strings.ContainsAny(a.Message+a.Title, "\x1b\x07\u202e") {
			t.Errorf("annotation %q / %q carries raw controls", a.Title, a.Message)
		}
		if !strings.Contains(a.Message, `\x1b]8;;https://evil.example\x07 \u202eexe.`) {
			t.Errorf("annotation %q does not show them escaped", a.Message)
		}
	}
	text := Terminal(run, Style{})
	if bad := unintended(text); len(bad) > 0 {
		t.Errorf("the terminal report carries commands %q:\n%s", bad, text)
	}
}

// Every credential in JSON carries checked-by, and checked_by beside it for
// version 1, with the same places: in the audit's document and in a
// token's used-by.
func TestCheckedByInBothSpellings(t *testing.T) {
	t.Parallel()
	c := finding.Credential{Secret: "CR_PAT", Registry: "ghcr.io", CheckedBy: []finding.CheckPlace{{File: ".github/workflows/a.yml", Line: 3, Job: "check"}}}
	const both = `"checked_by":[{"file":".github/workflows/a.yml","line":3,"job":"check"}],"checked-by":[{"file":".github/workflows/a.yml","line":3,"job":"check"}]`
	doc, err := json.Marshal(AuditJSON(finding.Report{Credentials: []finding.Credential{c}}, AuditOptions{}))
	if err != nil || !strings.Contains(string(doc), both) {
		t.Errorf("audit JSON: %v\n%s", err, doc)
	}
	used, err := json.Marshal(Usage{c})
	if err != nil || !strings.Contains(string(used), both) {
		t.Errorf("used-by: %v\n%s", err, used)
	}
}
