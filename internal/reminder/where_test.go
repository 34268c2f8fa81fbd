package reminder

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/token"
)

// A revoked token used by a fan of calls, in thousands of places with long
// names, pushing thousands of images, with hundreds of long findings: the
// body stays within GitHub's 65,536 characters, keeps the token's own
// finding and the renewal checklist, and lists each place once.
func TestBodyBoundedWhereUsed(t *testing.T) {
	t.Parallel()
	used := &finding.Credential{Secret: "CR_PAT", Registry: "ghcr.io"}
	for i := 0; i < 10000; i++ {
		used.Uses = append(used.Uses, finding.Place{File: ".github/workflows/build.yml", Line: 14, Job: fmt.Sprintf("call%d/push", i)})
	}
	long := strings.Repeat("é`", 300)
	for i := 0; i < 3000; i++ {
		used.Uses = append(used.Uses, finding.Place{File: ".github/workflows/" + long + fmt.Sprint(i) + ".yml", Line: i + 1, Job: long})
		used.Images = append(used.Images, fmt.Sprintf("ghcr.io/acme/image-%d-%s", i, strings.Repeat("x", 50)))
	}
	v := gate.Verdict{TokenName: "CR_PAT", Kind: token.ClassicPAT, UsedBy: used,
		Findings: []gate.Finding{{Code: gate.CodeBadCredentials, Severity: gate.Error, Title: "Token expired or revoked", Message: "CR_PAT is expired or revoked."}}}
	for range 400 {
		v.Findings = append(v.Findings, gate.Finding{Code: gate.CodeCannotPush, Severity: gate.Error, Title: "Cannot push", Message: strings.Repeat("é", 500)})
	}
	_, body, _ := syncerFor("1", now).render(v, gate.Failed)
	if n := utf8.RuneCountInString(body); n > MaxBody {
		t.Errorf("body of %d characters", n)
	}
	for _, want := range []string{"**Token expired or revoked**", "- `.github/workflows/build.yml:14` (job `call0/push`; reached by 10000 calls)", "### Renewal checklist", "- [ ] Re-run the failed jobs"} {
		if !strings.Contains(body, want) {
			t.Errorf("the body lacks %q", want)
		}
	}
	if strings.Count(body, "build.yml:14") != 1 {
		t.Errorf("the fan's place is listed %d times", strings.Count(body, "build.yml:14"))
	}
}
