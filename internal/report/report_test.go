package report

import (
	"strings"
	"testing"

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
