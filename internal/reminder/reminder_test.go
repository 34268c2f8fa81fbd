package reminder

import (
	"regexp"
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

// TestRenewalCommands: every gh command of the checklist runs as written on
// the repository's own server: on github.com it names no host; on GHES and
// GHE.com each names the server's, in --repo HOST/OWNER/REPO or, for an
// organization secret (whose host gh takes from GH_HOST), GH_HOST=HOST; and
// --visibility selected always comes with the --repos gh requires with it
// (cli/cli#9808).
func TestRenewalCommands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server, host string
		want         []string
	}{
		{"https://github.com", "", []string{
			"`gh secret set HELM_CHARTS_TOKEN --repo aibrix/aibrix`",
			"`gh secret set HELM_CHARTS_TOKEN --org aibrix --visibility private`",
			"`gh secret set HELM_CHARTS_TOKEN --org aibrix --visibility selected --repos aibrix,OTHER_REPO`",
			"`gh run rerun 77 --failed --repo aibrix/aibrix`",
		}},
		{"https://ghe.example.com", "ghe.example.com", []string{
			"`gh secret set HELM_CHARTS_TOKEN --repo ghe.example.com/aibrix/aibrix`",
			"`GH_HOST=ghe.example.com gh secret set HELM_CHARTS_TOKEN --org aibrix --visibility private`",
			"`GH_HOST=ghe.example.com gh secret set HELM_CHARTS_TOKEN --org aibrix --visibility selected --repos aibrix,OTHER_REPO`",
			"`gh run rerun 77 --failed --repo ghe.example.com/aibrix/aibrix`",
		}},
		{"https://octocorp.ghe.com", "octocorp.ghe.com", []string{
			"`gh secret set HELM_CHARTS_TOKEN --repo octocorp.ghe.com/aibrix/aibrix`",
			"`GH_HOST=octocorp.ghe.com gh secret set HELM_CHARTS_TOKEN --org aibrix --visibility private`",
			"`gh run rerun 77 --failed --repo octocorp.ghe.com/aibrix/aibrix`",
		}},
	} {
		s := syncerFor("77", now)
		s.o.Owner, s.o.Repo = "aibrix", "aibrix"
		s.o.Links = gate.Links{Server: tc.server, Repository: "aibrix/aibrix"}
		v := expiring(3)
		v.Findings = append(v.Findings, gate.Finding{Code: gate.CodeCannotPush, Severity: gate.Error, Title: "Cannot push", Message: "m"})
		_, body, _ := s.render(v, gate.Failed)
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the checklist lacks %s:\n%s", tc.server, w, body)
			}
		}
		commands := regexp.MustCompile("`((?:GH_HOST=[^ `]+ )?gh [^`]*)`").FindAllStringSubmatch(body, -1)
		if len(commands) < 4 {
			t.Fatalf("%s: %d gh commands in the checklist:\n%s", tc.server, len(commands), body)
		}
		for _, m := range commands {
			cmd := m[1]
			names := strings.Contains(cmd, "GH_HOST=") || strings.Contains(cmd, "--repo ") && !strings.Contains(cmd, "--repo aibrix/")
			if tc.host == "" && names || tc.host != "" && (!names || !strings.Contains(cmd, tc.host)) {
				t.Errorf("%s: %q names the host wrongly (want %q)", tc.server, cmd, tc.host)
			}
			if strings.Contains(cmd, "--visibility selected") && !strings.Contains(cmd, "--repos ") {
				t.Errorf("%s: %q sets selected visibility without --repos, which gh refuses", tc.server, cmd)
			}
		}
	}
}

// A credential quoted in a finding is redacted whole before the body
// escapes it for Markdown: a password with Markdown's own characters
// leaves no piece behind.
func TestRedactedBeforeEscaped(t *testing.T) {
	t.Parallel()
	const password = "pa[ss]w@rd<x>-very-secret"
	s := syncerFor("1", now)
	s.o.Redact = func(text string) string { return strings.ReplaceAll(text, password, "***") }
	v := expiring(3)
	v.Findings = append(v.Findings, gate.Finding{Code: gate.CodeCannotPush, Severity: gate.Error, Title: "Cannot push " + password, Message: "the registry said: " + password})
	title, body, _ := s.render(v, gate.Failed)
	for _, piece := range []string{`ss\]w`, "very-secret", "rd&lt;x", "w@"} {
		if strings.Contains(title+body, piece) {
			t.Errorf("a piece of the password (%q) is left:\n%s\n%s", piece, title, body)
		}
	}
}
