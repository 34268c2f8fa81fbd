package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
)

func TestParseSSO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want SSO
	}{
		{"required; url=https://github.com/orgs/aibrix/sso?authorization_request=AbC", SSO{Required: true, URL: "https://github.com/orgs/aibrix/sso?authorization_request=AbC"}},
		{"Required;url=https://github.com/orgs/x/sso", SSO{Required: true, URL: "https://github.com/orgs/x/sso"}},
		{"required", SSO{Required: true}},
		{"required; url=javascript:alert(1)", SSO{Required: true}}, // only an https URL is printed
		{"partial-results; organizations=21955855,20582480", SSO{PartialOrgs: []string{"21955855", "20582480"}}},
		{"", SSO{}},
		{"something-else; url=https://x", SSO{}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, ParseSSO(tc.in)); diff != "" {
			t.Errorf("ParseSSO(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func FuzzParseSSO(f *testing.F) {
	for _, s := range []string{
		"required; url=https://github.com/orgs/ORG/sso?authorization_request=x",
		"partial-results; organizations=21955855,20582480", "required", "", ";;=", "required; url=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseSSO(s)
		if got.URL != "" && (!got.Required || !strings.HasPrefix(got.URL, "https://")) {
			t.Errorf("ParseSSO(%q) = %+v: a URL only with required, and only https", s, got)
		}
		for _, o := range got.PartialOrgs {
			if o == "" || strings.ContainsAny(o, ", ") {
				t.Errorf("ParseSSO(%q): bad organization %q", s, o)
			}
		}
	})
}

// TestClassifySyntheticRateLimit covers go-github's own RateLimitError, made
// without a request after an answer with Remaining: 0: a rate limit, never a
// refusal of the token.
func TestClassifySyntheticRateLimit(t *testing.T) {
	t.Parallel()
	reset := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	fakeResp := &http.Response{StatusCode: http.StatusForbidden, Header: http.Header{}}
	err := &gh.RateLimitError{Rate: gh.Rate{Limit: 5000, Remaining: 0, Reset: gh.Timestamp{Time: reset}}, Response: fakeResp,
		Message: "API rate limit of 5000 still exceeded until 2026-11-25 13:00:00 +0000 UTC, not making remote request."}
	got := Classify(context.Background(), &gh.Response{Response: fakeResp}, err)
	var rl *facts.RateLimitError
	if !errors.As(got, &rl) || rl.Secondary || !rl.Reset.Equal(reset) {
		t.Errorf("Classify = %#v, want a primary facts.RateLimitError resetting at %v", got, reset)
	}
}

// TestRecordedAnswers classifies every recorded GitHub answer in
// testdata/answers: each becomes the fact its situation is, read from
// status, headers and body as GitHub sends them.
func TestRecordedAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answer string
		path   string
		check  func(t *testing.T, g facts.GitHub)
	}{
		{"user-200", "/user", func(t *testing.T, g facts.GitHub) {
			if g.Err != nil || g.Account.Login != "octocat" || !g.Account.ScopesReported {
				t.Errorf("%+v", g)
			}
		}},
		{"bad-credentials-401", "/user", isErr[*facts.BadCredentialsError]},
		{"installation-user-403", "/user", func(t *testing.T, g facts.GitHub) {
			var api *facts.APIError
			if !errors.As(g.Err, &api) || api.Status != 403 {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"ghes-rate-limit-off-404", "/rate_limit", func(t *testing.T, g facts.GitHub) {
			if g.Err != nil || !g.Account.RateLimitingOff {
				t.Errorf("%+v", g)
			}
		}},
		{"ghes-rate-limit-whitelisted-404", "/rate_limit", func(t *testing.T, g facts.GitHub) {
			if g.Err != nil || !g.Account.RateLimitingOff {
				t.Errorf("%+v", g)
			}
		}},
		{"sso-required-403", "/user", func(t *testing.T, g facts.GitHub) {
			var sso *facts.SSOError
			if !errors.As(g.Err, &sso) || sso.Org != "ORG" || !strings.HasPrefix(sso.AuthorizeURL, "https://github.com/orgs/ORG/sso?") {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"org-forbids-classic-403", "/user", func(t *testing.T, g facts.GitHub) {
			var p *facts.PolicyError
			if !errors.As(g.Err, &p) || p.Kind != facts.PolicyNoClassicPAT || p.Org != "ORG" {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"org-lifetime-403", "/user", func(t *testing.T, g facts.GitHub) {
			var p *facts.PolicyError
			if !errors.As(g.Err, &p) || p.Kind != facts.PolicyLifetime || p.Org != "NixOS" || p.Enterprise || p.MaxDays != 90 || p.Classic ||
				p.SettingsURL != "https://github.com/settings/personal-access-tokens/12885303" {
				t.Errorf("%#v", g.Err)
			}
		}},
		// An enterprise's policy names the enterprise, spaces and dots in its
		// name included, never an organization called "X' enterprise".
		{"enterprise-lifetime-classic-403", "/user", func(t *testing.T, g facts.GitHub) {
			var p *facts.PolicyError
			if !errors.As(g.Err, &p) || p.Kind != facts.PolicyLifetime || p.Org != "Microsoft Open Source" || !p.Enterprise || p.MaxDays != 90 || !p.Classic ||
				p.SettingsURL != "https://github.com/settings/tokens/99202709" {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"enterprise-lifetime-403", "/user", func(t *testing.T, g facts.GitHub) {
			var p *facts.PolicyError
			if !errors.As(g.Err, &p) || p.Kind != facts.PolicyLifetime || p.Org != "Node.js" || !p.Enterprise || p.MaxDays != 366 || p.Classic {
				t.Errorf("%#v", g.Err)
			}
		}},
		// The failed-login limit is a lockout, never a refusal of the token.
		{"login-lockout-403", "/user", func(t *testing.T, g facts.GitHub) {
			var l *facts.LockoutError
			if !errors.As(g.Err, &l) || l.Status != 403 || !strings.HasPrefix(l.Message, "Maximum number of login attempts exceeded") {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"org-lifetime-classic-403", "/user", func(t *testing.T, g facts.GitHub) {
			var p *facts.PolicyError
			if !errors.As(g.Err, &p) || p.Kind != facts.PolicyLifetime || p.Org != "ORG" || p.MaxDays != 7 || !p.Classic || p.SettingsURL != "" {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"org-forbids-fine-grained-403", "/user", func(t *testing.T, g facts.GitHub) {
			var p *facts.PolicyError
			if !errors.As(g.Err, &p) || p.Kind != facts.PolicyNoFineGrainedPAT || p.Org != "ORG" {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"primary-rate-limit-403", "/user", func(t *testing.T, g facts.GitHub) {
			var rl *facts.RateLimitError
			if !errors.As(g.Err, &rl) || rl.Secondary || rl.Reset.IsZero() {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"secondary-rate-limit-403", "/user", func(t *testing.T, g facts.GitHub) {
			var rl *facts.RateLimitError
			if !errors.As(g.Err, &rl) || !rl.Secondary || rl.RetryAfter != 60*time.Second {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"too-many-requests-429", "/user", func(t *testing.T, g facts.GitHub) {
			var rl *facts.RateLimitError
			if !errors.As(g.Err, &rl) || !rl.Secondary {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"unicorn-502", "/user", isErr[*facts.UnreachableError]},
		{"captive-portal-200", "/user", func(t *testing.T, g facts.GitHub) {
			var odd *facts.UnexpectedAnswerError
			if !errors.As(g.Err, &odd) || odd.Status != 200 || !strings.HasPrefix(odd.Start, "<html>") {
				t.Errorf("%#v", g.Err)
			}
		}},
		{"not-found-404", "/user", func(t *testing.T, g facts.GitHub) {
			var api *facts.APIError
			if !errors.As(g.Err, &api) || api.Status != 404 {
				t.Errorf("%#v", g.Err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.answer, func(t *testing.T) {
			t.Parallel()
			a := fake.Recorded(tc.answer)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v3"+tc.path {
					t.Errorf("asked %s", r.URL.Path)
				}
				a.Write(w)
			}))
			defer srv.Close()
			api, _ := url.Parse(srv.URL + "/api/v3")
			c, err := NewClient(api, "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", nil, transport.Policy{Attempts: 1, AttemptTimeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			kind := token.ClassicPAT
			if tc.path == "/rate_limit" {
				kind = token.Installation
			}
			tc.check(t, c.Inspect(t.Context(), kind))
		})
	}
}

func isErr[E error](t *testing.T, g facts.GitHub) {
	t.Helper()
	var target E
	if !errors.As(g.Err, &target) {
		t.Errorf("error %#v, want a %T", g.Err, target)
	}
}

// TestDiagnose asks first what owns the namespace, then about the package
// where that owner keeps it: an organization's under /orgs/, another user's
// under /users/, the token's own under /user/; a name with a slash is
// escaped. A 404 for the owner is an owner that does not exist.
func TestDiagnose(t *testing.T) {
	t.Parallel()
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.EscapedPath())
		switch r.URL.EscapedPath() {
		case "/api/v3/users/aibrix":
			fake.Recorded("org-profile-200").Fill("LOGIN", "aibrix").Write(w)
		case "/api/v3/users/someoneelse":
			fake.Recorded("user-profile-200").Fill("LOGIN", "someoneelse").Write(w)
		case "/api/v3/users/nobody":
			fake.Recorded("not-found-404").Write(w)
		default:
			fake.Recorded("package-200").Write(w)
		}
	}))
	defer srv.Close()
	api, _ := url.Parse(srv.URL + "/api/v3")
	c, _ := NewClient(api, "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", nil, transport.Policy{Attempts: 1, AttemptTimeout: 5 * time.Second})
	ask := func(repo, login string) facts.Diagnosis {
		img := image.Image{Registry: "ghcr.io", Repository: repo}
		kind, err := c.Owner(t.Context(), img.Owner(), login)
		if err != nil {
			return facts.Diagnosis{Owner: kind, Err: err}
		}
		return c.Package(t.Context(), img, kind)
	}
	org, own, user, missing := ask("aibrix/team/runtime", "someone"), ask("Octo/tool", "octo"), ask("someoneelse/tool", "octo"), ask("nobody/x", "octo")
	if !org.Found || org.Owner != facts.OwnerOrg || !own.Found || own.Owner != facts.OwnerSelf || !user.Found || user.Owner != facts.OwnerUser {
		t.Errorf("found: %+v %+v %+v", org, own, user)
	}
	if missing.Owner != facts.OwnerMissing || !isNotFound(missing.Err) {
		t.Errorf("missing owner: %+v", missing)
	}
	want := []string{
		"/api/v3/users/aibrix", "/api/v3/orgs/aibrix/packages/container/team%2Fruntime",
		"/api/v3/user/packages/container/tool",
		"/api/v3/users/someoneelse", "/api/v3/users/someoneelse/packages/container/tool",
		"/api/v3/users/nobody",
	}
	if diff := cmp.Diff(want, asked); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func isNotFound(err error) bool {
	var api *facts.APIError
	return errors.As(err, &api) && api.Status == http.StatusNotFound
}

// TestParsePolicy reads every wording GitHub uses, the organization without
// its backticks or quotes.
func TestParsePolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg  string
		want *facts.PolicyError
	}{
		{"`aibrix` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.",
			&facts.PolicyError{Kind: facts.PolicyNoClassicPAT, Org: "aibrix", Classic: true}},
		{"YOUR_ORG forbids access via a personal access token (classic). Please use a GitHub App.",
			&facts.PolicyError{Kind: facts.PolicyNoClassicPAT, Org: "YOUR_ORG", Classic: true}},
		{"`AikidoSec` forbids access via a personal access token with fine-grained permissions. Please use a GitHub App, or an OAuth App.",
			&facts.PolicyError{Kind: facts.PolicyNoFineGrainedPAT, Org: "AikidoSec"}},
		{"The 'NixOS' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 90 days. Please adjust your token's lifetime at the following URL: https://github.com/settings/personal-access-tokens/12885303",
			&facts.PolicyError{Kind: facts.PolicyLifetime, Org: "NixOS", MaxDays: 90, SettingsURL: "https://github.com/settings/personal-access-tokens/12885303"}},
		{"The 'infosupport' organization forbids access via a personal access tokens (classic) if the token's lifetime is greater than 7 days.",
			&facts.PolicyError{Kind: facts.PolicyLifetime, Org: "infosupport", MaxDays: 7, Classic: true}},
		// Enterprises (flcdrg/au-packages#206, microsoft/testfx#10322,
		// MicrosoftEdge/WebView2Feedback#5423, nodejs/nodejs.org#8531).
		{"The 'Microsoft Open Source' enterprise forbids access via a personal access tokens (classic) if the token's lifetime is greater than 8 days. Please adjust your token's lifetime at the following URL: https://github.com/settings/tokens/5056184827",
			&facts.PolicyError{Kind: facts.PolicyLifetime, Org: "Microsoft Open Source", Enterprise: true, MaxDays: 8, Classic: true, SettingsURL: "https://github.com/settings/tokens/5056184827"}},
		{"The 'Microsoft Open Source' enterprise forbids access via a personal access token (classic) if the token's lifetime is greater than 90 days.",
			&facts.PolicyError{Kind: facts.PolicyLifetime, Org: "Microsoft Open Source", Enterprise: true, MaxDays: 90, Classic: true}},
		{"The 'Node.js' enterprise forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 366 days.",
			&facts.PolicyError{Kind: facts.PolicyLifetime, Org: "Node.js", Enterprise: true, MaxDays: 366}},
		{"Resource not accessible by integration", nil},
	}
	for _, tc := range tests {
		got := ParsePolicy(tc.msg)
		if tc.want != nil {
			tc.want.Message = tc.msg
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParsePolicy(%q) (-want +got):\n%s", tc.msg, diff)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add("ORG forbids access via a personal access token (classic). Please use a GitHub App.")
	f.Add("The 'ORG' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 90 days.")
	f.Add("The 'Microsoft Open Source' enterprise forbids access via a personal access tokens (classic) if the token's lifetime is greater than 8 days.")
	f.Add("forbids access via ")
	f.Fuzz(func(t *testing.T, msg string) {
		p := ParsePolicy(msg)
		if p == nil {
			return
		}
		if p.Kind != facts.PolicyNoClassicPAT && p.Kind != facts.PolicyNoFineGrainedPAT && p.Kind != facts.PolicyLifetime || p.MaxDays < 0 {
			t.Errorf("%q: %+v", msg, p)
		}
		if strings.Trim(p.Org, "`'\" ") != p.Org {
			t.Errorf("%q: organization %q keeps its quotes", msg, p.Org)
		}
		if p.Enterprise && (strings.HasSuffix(p.Org, " enterprise") || !strings.Contains(msg, " enterprise forbids")) {
			t.Errorf("%q: enterprise %q", msg, p.Org)
		}
		if p.SettingsURL != "" && !strings.HasPrefix(p.SettingsURL, "https://") {
			t.Errorf("%q: settings URL %q", msg, p.SettingsURL)
		}
	})
}

// TestPartialResultsIsNotARefusal: a list answer that left out SSO-protected
// organizations is a 200, never an SSO refusal.
func TestPartialResultsIsNotARefusal(t *testing.T) {
	t.Parallel()
	s := ParseSSO(fake.Recorded("sso-partial-results-200").Headers["X-GitHub-SSO"])
	if s.Required || len(s.PartialOrgs) != 2 {
		t.Errorf("%+v", s)
	}
}
