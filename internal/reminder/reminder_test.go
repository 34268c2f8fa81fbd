package reminder

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/token"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func syncerFor(runID string, day time.Time) *syncer {
	return &syncer{o: Options{
		Links:  gate.Links{Server: "https://github.com", Repository: "aibrix/aibrix"},
		RunID:  runID,
		Now:    day,
		Redact: func(s string) string { return s },
	}}
}

func expiring(days int) gate.Verdict {
	return gate.Verdict{TokenName: "HELM_CHARTS_TOKEN", Kind: token.ClassicPAT, Login: "charts-bot", Scopes: []string{"repo", "delete_repo"},
		Expiry: gate.ExpiryKnown, ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour), DaysRemaining: days, Expiring: true,
		Findings: []gate.Finding{{Code: gate.CodeExpiresSoon, Severity: gate.Warning, Title: "Token expires soon", Message: "soon"}}}
}

// TestHeadlineByCode: the title follows the finding's code, not its words.
func TestHeadlineByCode(t *testing.T) {
	t.Parallel()
	revoked := gate.Verdict{TokenName: "T", Findings: []gate.Finding{{Code: gate.CodeBadCredentials, Severity: gate.Error, Title: "anything at all"}}}
	if got := headline(revoked); got != "T is expired or revoked" {
		t.Errorf("headline = %q", got)
	}
	if got := headline(expiring(1)); got != "HELM_CHARTS_TOKEN expires in 1 day (2026-11-26)" {
		t.Errorf("headline = %q", got)
	}
	other := gate.Verdict{TokenName: "T", Findings: []gate.Finding{{Code: gate.CodeMissingScopes, Severity: gate.Error, Title: "Missing scopes"}}}
	if got := headline(other); got != "T fails its check: Missing scopes" {
		t.Errorf("headline = %q", got)
	}
}

// TestDigestIgnoresTheFooter: another run, another day, the same verdict:
// the same digest, so nothing is written.
func TestDigestIgnoresTheFooter(t *testing.T) {
	t.Parallel()
	_, body1, d1 := syncerFor("1", now).render(expiring(9), gate.Expiring)
	_, body2, d2 := syncerFor("2", now.Add(3*time.Hour)).render(expiring(9), gate.Expiring)
	if d1 != d2 || body1 == body2 {
		t.Errorf("digests %s and %s; bodies equal: %v", d1, d2, body1 == body2)
	}
	if _, _, d3 := syncerFor("1", now).render(expiring(8), gate.Expiring); d3 == d1 {
		t.Error("a changed day count kept the digest")
	}
	if !strings.Contains(body1, "<!-- token-gate: HELM_CHARTS_TOKEN state=expiring -->") || marker().FindStringSubmatch(body1) == nil {
		t.Errorf("no marker:\n%s", body1)
	}
	// The fix link never asks for a high-risk scope nobody required.
	if strings.Contains(body1, "delete_repo&") || strings.Contains(body1, ",delete_repo") {
		t.Errorf("the fix asks for delete_repo:\n%s", body1)
	}
	if !strings.Contains(body1, "@\u200bcharts-bot") {
		t.Errorf("the login is not kept from mentioning:\n%s", body1)
	}
}

// TestBodyWithinGitHubLimit: a verdict with very many findings is cut, and
// says so, under 65,536 characters.
func TestBodyWithinGitHubLimit(t *testing.T) {
	t.Parallel()
	v := expiring(3)
	for range 400 {
		v.Findings = append(v.Findings, gate.Finding{Code: gate.CodeCannotPush, Severity: gate.Error, Title: "Cannot push", Message: strings.Repeat("é", 500)})
	}
	_, body, _ := syncerFor("1", now).render(v, gate.Failed)
	if n := utf8.RuneCountInString(body); n > MaxBody {
		t.Errorf("body of %d characters", n)
	}
	if !strings.Contains(body, "more findings, cut to keep this issue within GitHub's 65,536 characters") {
		t.Error("the cut is not said")
	}
}
