package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/token"
)

// fan is a credential reached through a reusable workflow by calls many
// jobs make, plus many places of its own, with long hostile names.
func fan(calls, places int) *finding.Credential {
	c := &finding.Credential{Secret: "CR_PAT", Registry: "ghcr.io"}
	for i := 0; i < calls; i++ {
		c.Uses = append(c.Uses, finding.Place{File: ".github/workflows/build.yml", Line: 14, Column: 21, Job: fmt.Sprintf("call%d/push", i)})
	}
	long := strings.Repeat("ü`@octocat`\n# x", 100)
	for i := 0; i < places; i++ {
		c.Uses = append(c.Uses, finding.Place{File: ".github/workflows/" + long + fmt.Sprint(i) + ".yml", Line: i + 1, Job: long})
	}
	return c
}

func TestUsePlaces(t *testing.T) {
	t.Parallel()
	ps := UsePlaces(fan(3, 1).Uses)
	if len(ps) != 2 || ps[0].Count != 3 || ps[0].Job != "call0/push" || ps[1].Count != 1 {
		t.Fatalf("%+v", ps)
	}
	if got := ps[0].Text(); got != ".github/workflows/build.yml:14 (job call0/push; reached by 3 calls)" {
		t.Errorf("Text = %q", got)
	}
}

// A fan of ten thousand calls and thousands of places cannot push the
// token's own finding out of the summary: each place is listed once, at
// most ten of them in a cell.
func TestSummaryBoundsWhereUsed(t *testing.T) {
	t.Parallel()
	v := gate.Verdict{TokenName: "CR_PAT", Kind: token.ClassicPAT, UsedBy: fan(10000, 3000),
		Findings: []gate.Finding{{Code: gate.CodeBadCredentials, Severity: gate.Error, Title: "Token expired or revoked", Message: "CR_PAT is expired or revoked."}}}
	for name, run := range map[string]gate.Run{
		"one token": {Verdicts: []gate.Verdict{v}},
		"inventory": {Verdicts: []gate.Verdict{v, v}},
	} {
		s := Summary(run)
		if len(s) > MaxSummary || !strings.Contains(s, "Token expired or revoked") || strings.Contains(s, "reached the limit") {
			t.Errorf("%s: %d bytes; the finding is there: %v", name, len(s), strings.Contains(s, "Token expired or revoked"))
		}
		if !strings.Contains(s, ".github/workflows/build.yml:14 (job call0/push; reached by 10000 calls)") || !strings.Contains(s, "and 2991 more") {
			t.Errorf("%s: the fan is not one place, or the rest not counted", name)
		}
	}
}

// WhereUsed stays within its bound however many places and however long
// their names, and says how many it left out.
func TestWhereUsedBound(t *testing.T) {
	t.Parallel()
	w := WhereUsed(fan(10000, 3000).Uses, 4000)
	if n := utf8.RuneCountInString(w); n > 4000 {
		t.Errorf("%d characters", n)
	}
	if !strings.HasPrefix(w, "- `.github/workflows/build.yml:14` (job `call0/push`; reached by 10000 calls)\n") || !strings.Contains(w, "more (the run's step summary and `token-gate audit` list them all)") {
		t.Errorf("WhereUsed:\n%s", w)
	}
	if all := WhereUsed(fan(2, 1).Uses, 4000); strings.Count(all, "\n") != 2 || strings.Contains(all, "more") {
		t.Errorf("a short list cut:\n%s", all)
	}
}
