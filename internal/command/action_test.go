package command

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
)

const secretName = "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN"

// TestActionScenarios runs one case per rule of the gate against a fake
// GitHub that answers with the real headers and bodies. Every case also scans
// every byte written for the token.
func TestActionScenarios(t *testing.T) {
	t.Parallel()
	fine := fake.Token("github_pat_", "fine")
	inst := fake.Token("ghs_", "inst")
	oauth := fake.Token("gho_", "oauth")
	refresh := fake.Token("ghr_", "refresh")
	legacy := "0123456789abcdef0123456789abcdef01234567"
	inTwoMonths := expiry(now.Add(60 * 24 * time.Hour))

	type want struct {
		code     int
		outputs  map[string]string // only the keys named are compared
		errors   []string          // titles of ::error annotations, in order
		warnings []string
		notices  []string
		requests []string // METHOD PATH at the fake GitHub; nil skips the check
		contains []string // substrings of the annotations' messages
		summary  []string // substrings of the step summary
	}
	tests := []struct {
		name  string
		with  map[string]string
		setup func(e *env)
		want  want
	}{
		{
			name: "passing classic token",
			with: map[string]string{"token": fake.Classic, "token-name": secretName, "required-scopes": "repo, write:packages"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: inTwoMonths})
			},
			want: want{
				code: 0,
				outputs: map[string]string{"valid": "true", "token-type": "classic-pat", "login": "aibrix-bot", "scopes": "repo,write:packages",
					"missing-scopes": "", "expires-at": "2027-01-24T12:00:00Z", "days-remaining": "60", "pushable": "", "not-pushable": ""},
				errors: []string{}, warnings: []string{}, notices: []string{},
				requests: []string{"GET /api/v3/user"},
				summary:  []string{"`AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN` passed", "| Login | aibrix-bot |", "| Days left | 60 |", "| Expiry | ✅ pass |"},
			},
		},
		{
			name:  "expired or revoked token is a 401, never retried",
			with:  map[string]string{"token": fake.Classic, "token-name": secretName, "required-scopes": "repo, write:packages"},
			setup: func(e *env) {},
			want: want{
				code:     1,
				outputs:  map[string]string{"valid": "false", "token-type": "classic-pat", "login": "", "expires-at": "", "days-remaining": ""},
				errors:   []string{"Token expired or revoked"},
				requests: []string{"GET /api/v3/user"},
				contains: []string{secretName + " is expired or revoked", "https://github.com/settings/tokens/new?scopes=repo,write:packages&description=" + secretName,
					"https://github.com/aibrix/aibrix/settings/secrets/actions", "https://github.com/organizations/aibrix/settings/secrets/actions", "X-GitHub-Request-Id"},
			},
		},
		{
			name: "missing scopes are listed with the fix",
			with: map[string]string{"token": fake.Classic, "token-name": secretName, "required-scopes": "repo, write:packages, read:org"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo", Expiry: inTwoMonths})
			},
			want: want{
				code:     1,
				outputs:  map[string]string{"valid": "false", "missing-scopes": "write:packages,read:org", "scopes": "repo"},
				errors:   []string{"Missing scopes"},
				contains: []string{"lacks the scopes write:packages, read:org (it has repo)", "tick the scopes write:packages, read:org"},
				summary:  []string{"| Missing scopes | write:packages, read:org |", "| Scopes | ❌ fail | missing write:packages, read:org |"},
			},
		},
		{
			name: "implied scopes count: repo covers public_repo, write:packages covers read:packages, admin:org covers read:org",
			with: map[string]string{"token": fake.Classic, "required-scopes": "public_repo read:packages\nread:org"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "repo, write:packages, admin:org", Expiry: inTwoMonths})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "missing-scopes": ""}, errors: []string{},
				warnings: []string{"High-risk scopes granted"}},
		},
		{
			name: "expiry inside fail-within-days fails with the date and days left",
			with: map[string]string{"token": fake.Classic, "token-name": secretName, "fail-within-days": "7"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: expiry(now.Add(3*24*time.Hour + time.Hour))})
			},
			want: want{code: 1, outputs: map[string]string{"valid": "false", "days-remaining": "3", "expires-at": "2026-11-28T13:00:00Z"},
				errors: []string{"Token expires soon"}, warnings: []string{},
				contains: []string{"expires on 2026-11-28 13:00 UTC (3 days left), inside `fail-within-days` (7)"}},
		},
		{
			name: "expiry inside warn-within-days warns and passes; offset header format",
			with: map[string]string{"token": fake.Classic, "token-name": secretName},
			setup: func(e *env) {
				// 2026-12-04 12:00 +0200 is 10:00 UTC, nine days away.
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: "2026-12-04 12:00:00 +0200"})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "days-remaining": "8", "expires-at": "2026-12-04T10:00:00Z"},
				errors: []string{}, warnings: []string{"Token expires soon"},
				contains: []string{"2026-12-04 10:00 UTC (8 days left), inside `warn-within-days` (14)"}},
		},
		{
			name: "token that never expires gets a notice",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "expires-at": "", "days-remaining": ""},
				errors: []string{}, warnings: []string{}, notices: []string{"Token never expires"}},
		},
		{
			// SAML SSO bites on the organization's resources, never on GET
			// /user (docs/facts.md, "Where organization rules bite"): the
			// check passes /user, the registry refuses, and one question
			// about the package finds the cause.
			name: "SSO: /user passes, the refused image's package answers 403 X-GitHub-SSO",
			with: map[string]string{"token": fake.Classic, "token-name": secretName, "packages": "REGISTRY/aibrix/runtime"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: inTwoMonths})
				e.gh.SetOrg("aibrix", fake.Org{SSO: true})
				e.reg.Accept(fake.Classic)
				e.reg.Deny("aibrix/runtime", "permission_denied: The token provided does not match expected scopes")
			},
			want: want{code: 1, outputs: map[string]string{"valid": "false", "not-pushable": "REGISTRY/aibrix/runtime"},
				errors:   []string{"Token not authorized for SSO", "Cannot push REGISTRY/aibrix/runtime"},
				requests: []string{"GET /api/v3/user", "GET /api/v3/users/aibrix", "GET /api/v3/orgs/aibrix/packages/container/runtime"},
				contains: []string{"https://github.com/orgs/aibrix/sso?authorization_request=", "valid for one hour", "Configure SSO → Authorize next to aibrix",
					"the SAML single sign-on of aibrix has not authorized " + secretName},
				summary: []string{"| SSO and org policy | ❌ fail | the SAML SSO of aibrix has not authorized the token |"}},
		},
		{
			name: "SSO cannot be seen without packages, and the check table says so",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: inTwoMonths})
				e.gh.SetOrg("aibrix", fake.Org{SSO: true})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true"}, errors: []string{}, requests: []string{"GET /api/v3/user"},
				summary: []string{"| SSO and org policy | ⏭️ skipped | not checked; list the images in `packages` |"}},
		},
		{
			name: "primary rate limit on 403 is a rate limit, not a bad token, and is not retried",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.SetFault(fake.PrimaryRateLimit(http.StatusForbidden, now.Add(17*time.Minute)))
			},
			want: want{code: 1, errors: []string{"GitHub rate limit"}, requests: []string{"GET /api/v3/user"},
				contains: []string{"primary rate limit", "resets at 2026-11-25T12:17:00Z (in 17m0s)", "says nothing about the token"}},
		},
		{
			name: "primary rate limit on 429",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.SetFault(fake.PrimaryRateLimit(http.StatusTooManyRequests, now.Add(time.Hour)))
			},
			want: want{code: 1, errors: []string{"GitHub rate limit"}, requests: []string{"GET /api/v3/user"}, contains: []string{"resets at 2026-11-25T13:00:00Z"}},
		},
		{
			name: "secondary rate limit with a long Retry-After is reported, not waited",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.SetFault(fake.SecondaryRateLimit(http.StatusForbidden, 120))
			},
			want: want{code: 1, errors: []string{"GitHub rate limit"}, requests: []string{"GET /api/v3/user"},
				contains: []string{"secondary rate limit", "GitHub asks to wait 2m0s"}},
		},
		{
			name: "secondary rate limit on 429 without Retry-After",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.SetFault(fake.SecondaryRateLimit(http.StatusTooManyRequests, -1))
			},
			want: want{code: 1, errors: []string{"GitHub rate limit"}, requests: []string{"GET /api/v3/user"}, contains: []string{"wait at least a minute"}},
		},
		{
			name: "secondary rate limit with a short Retry-After is waited out once",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: inTwoMonths})
				limited := fake.SecondaryRateLimit(http.StatusForbidden, 1)
				e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, attempt int) bool {
					return attempt == 1 && limited(w, r, attempt)
				})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true"}, errors: []string{}, requests: []string{"GET /api/v3/user", "GET /api/v3/user"}},
		},
		{
			name: "5xx that persists: three attempts, then unreachable with status and request id",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.SetFault(fake.ServerError(http.StatusBadGateway))
			},
			want: want{code: 1, errors: []string{"GitHub unreachable"}, requests: []string{"GET /api/v3/user", "GET /api/v3/user", "GET /api/v3/user"},
				contains: []string{"502 Bad Gateway", "X-GitHub-Request-Id 5498:3F219F:18172B2:275A386:00000003", "validity is unknown, not bad"}},
		},
		{
			name: "5xx once, then the retry succeeds",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: inTwoMonths})
				down := fake.ServerError(http.StatusServiceUnavailable)
				e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, attempt int) bool {
					return attempt == 1 && down(w, r, attempt)
				})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true"}, errors: []string{}, requests: []string{"GET /api/v3/user", "GET /api/v3/user"}},
		},
		{
			name: "installation token: /rate_limit, never /user, and a notice that scopes do not apply",
			with: map[string]string{"token": inst},
			setup: func(e *env) {
				e.gh.Add(inst, fake.Account{NoScopes: true, Installation: true})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "token-type": "installation", "login": "", "scopes": "", "expires-at": ""},
				errors: []string{}, warnings: []string{}, notices: []string{"Scopes do not apply"}, requests: []string{"GET /api/v3/rate_limit"},
				contains: []string{"list the images in `packages`"}},
		},
		{
			name: "GHES with rate limiting off: /rate_limit's 404 proves the token authenticated",
			with: map[string]string{"token": inst},
			setup: func(e *env) {
				e.gh.Add(inst, fake.Account{NoScopes: true, Installation: true})
				e.gh.SetMode(fake.ModeGHESNoRateLimit)
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "token-type": "installation"}, errors: []string{}, requests: []string{"GET /api/v3/rate_limit"},
				summary: []string{"answered 404 Rate limiting is not enabled (GHES): authenticated"}},
		},
		{
			name: "an older GHES exempting the user: /rate_limit's 404 passes too",
			with: map[string]string{"token": inst},
			setup: func(e *env) {
				e.gh.Add(inst, fake.Account{NoScopes: true, Installation: true})
				e.gh.SetMode(fake.ModeGHESWhitelisted)
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true"}, errors: []string{}},
		},
		{
			name: "a bad token on GHES with rate limiting off is still a 401",
			with: map[string]string{"token": inst},
			setup: func(e *env) {
				e.gh.SetMode(fake.ModeGHESNoRateLimit)
			},
			want: want{code: 1, errors: []string{"Token expired or revoked"}},
		},
		{
			name: "a classic PAT whose answer lost X-OAuth-Scopes fails the scope check as unverified",
			with: map[string]string{"token": fake.Classic, "required-scopes": "repo, write:packages"},
			setup: func(e *env) {
				// What a header-stripping proxy leaves of GitHub's answer.
				e.gh.Add(fake.Classic, fake.Account{Login: "x", NoScopes: true, Expiry: inTwoMonths})
			},
			want: want{code: 1, outputs: map[string]string{"valid": "false", "missing-scopes": ""}, errors: []string{"Scopes not verified"}, notices: []string{},
				contains: []string{"carried no X-OAuth-Scopes header, which GitHub always sends for this kind"},
				summary:  []string{"| Scopes | ❔ unverified | X-OAuth-Scopes missing from GitHub's answer |"}},
		},
		{
			name: "a captive portal's 200 is an unexpected answer, not a refused token",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
				e.gh.SetMode(fake.ModePortal)
			},
			want: want{code: 1, outputs: map[string]string{"valid": "false"}, errors: []string{"Unexpected answer from api-url"},
				contains: []string{"200 OK", `Content-Type "text/html; charset=utf-8"`, "<html><head><title>Hotel Wi-Fi", "validity is unknown, not bad"}},
		},
		{
			name: "an empty api-url is the runner's own API, never github.com",
			with: map[string]string{"token": fake.Classic, "api-url": ""},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: inTwoMonths})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "login": "x"}, errors: []string{}, requests: []string{"GET /api/v3/user"}},
		},
		{
			name: "a 429 with a short Retry-After and quota left is waited out once, whatever its body says",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: inTwoMonths})
				limited := fake.TooManyRequests(1)
				e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, attempt int) bool {
					return attempt == 1 && limited(w, r, attempt)
				})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true"}, errors: []string{}, requests: []string{"GET /api/v3/user", "GET /api/v3/user"}},
		},
		{
			name: "write:org satisfies read:org, and admin:repo_hook satisfies read:repo_hook",
			with: map[string]string{"token": fake.Classic, "required-scopes": "read:org read:repo_hook"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:org, admin:repo_hook", Expiry: inTwoMonths})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "missing-scopes": ""}, errors: []string{}},
		},
		{
			name:  "refresh token fails without a request",
			with:  map[string]string{"token": refresh},
			setup: func(e *env) {},
			want: want{code: 1, outputs: map[string]string{"valid": "false", "token-type": "refresh"}, errors: []string{"Wrong kind of token"},
				requests: []string{}, contains: []string{"cannot call the API"}},
		},
		{
			name: "fine-grained PAT when packages scopes are required",
			with: map[string]string{"token": fine, "token-name": secretName},
			setup: func(e *env) {
				e.gh.Add(fine, fake.Account{Login: "x", NoScopes: true, Expiry: inTwoMonths})
			},
			want: want{code: 1, outputs: map[string]string{"valid": "false", "token-type": "fine-grained-pat", "login": "x"},
				errors: []string{"Token kind not accepted by GitHub Packages"}, requests: []string{"GET /api/v3/user"},
				contains: []string{"accepts only classic personal access tokens", "classic PAT with write:packages", "`permissions: packages: write`"}},
		},
		{
			name: "fine-grained PAT without packages scopes: scopes are reported unverifiable",
			with: map[string]string{"token": fine, "required-scopes": "repo"},
			setup: func(e *env) {
				e.gh.Add(fine, fake.Account{Login: "x", NoScopes: true, Expiry: inTwoMonths})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true"}, errors: []string{}, notices: []string{"Scopes not verifiable"}},
		},
		{
			name: "OAuth token is checked like a classic one",
			with: map[string]string{"token": oauth},
			setup: func(e *env) {
				e.gh.Add(oauth, fake.Account{Login: "x", Scopes: "read:packages"})
			},
			want: want{code: 1, outputs: map[string]string{"token-type": "oauth", "missing-scopes": "write:packages"}, errors: []string{"Missing scopes"},
				contains: []string{"Authorize the OAuth app again"}},
		},
		{
			name: "legacy 40-hex token: the API's answer decides",
			with: map[string]string{"token": legacy},
			setup: func(e *env) {
				e.gh.Add(legacy, fake.Account{Login: "old", Scopes: "write:packages"})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true", "token-type": "unknown", "login": "old"}, errors: []string{}},
		},
		{
			name: "classic PAT with no scopes at all (empty header, not absent)",
			with: map[string]string{"token": fake.Classic},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "", Expiry: inTwoMonths})
			},
			want: want{code: 1, outputs: map[string]string{"missing-scopes": "write:packages"}, errors: []string{"Missing scopes"}, contains: []string{"(it has no scopes)"}},
		},
		{
			name: "every failure is reported, not only the first",
			with: map[string]string{"token": fake.Classic, "fail-within-days": "7"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "repo, delete_repo", Expiry: expiry(now.Add(2 * 24 * time.Hour))})
			},
			want: want{code: 1, errors: []string{"Missing scopes", "Token expires soon"}, warnings: []string{"High-risk scopes granted"}},
		},
		{
			name:  "empty token, on-missing fail",
			with:  map[string]string{"token": "", "token-name": secretName},
			setup: func(e *env) {},
			want: want{code: 1, outputs: map[string]string{"valid": "false", "token-type": "none"}, errors: []string{"Token is empty"}, warnings: []string{},
				requests: []string{}, contains: []string{secretName + " is empty", "fork or as Dependabot"}},
		},
		{
			name:  "empty token, on-missing warn",
			with:  map[string]string{"token": "  \n", "on-missing": "warn"},
			setup: func(e *env) {},
			want: want{code: 0, outputs: map[string]string{"valid": "false", "token-type": "none"}, errors: []string{}, warnings: []string{"Token is empty"},
				requests: []string{}},
		},
		{
			name:  "empty token, on-missing skip",
			with:  map[string]string{"token": "", "on-missing": "skip"},
			setup: func(e *env) {},
			want: want{code: 0, outputs: map[string]string{"valid": "false", "token-type": "none"}, errors: []string{}, warnings: []string{},
				notices: []string{"Token is empty, check skipped"}, requests: []string{}},
		},
		{
			name: "surrounding whitespace is trimmed",
			with: map[string]string{"token": "\n  " + fake.Classic + " \r\n"},
			setup: func(e *env) {
				e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages", Expiry: inTwoMonths})
			},
			want: want{code: 0, outputs: map[string]string{"valid": "true"}, requests: []string{"GET /api/v3/user"}},
		},
		{
			name:  "whitespace inside the token: error, no request",
			with:  map[string]string{"token": "ghp_xxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxxxx"},
			setup: func(e *env) {},
			want:  want{code: 1, errors: []string{"Malformed token"}, requests: []string{}, contains: []string{"whitespace at position 23"}},
		},
		{
			name:  "non-ASCII token: error, no request",
			with:  map[string]string{"token": "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\u00e9"},
			setup: func(e *env) {},
			want:  want{code: 1, errors: []string{"Malformed token"}, requests: []string{}, contains: []string{"non-ASCII"}},
		},
		{
			name:  "wrong api-url answers 404",
			with:  map[string]string{"token": fake.Classic},
			setup: func(e *env) { e.contexts["github.api_url"] = e.gh.Server.URL + "/nothing/api/v3" },
			want:  want{code: 1, errors: []string{"Wrong api-url"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tc.setup(e)
			// REGISTRY in a case stands for the fake registry's host.
			sub := strings.NewReplacer("REGISTRY", e.reg.Host).Replace
			with := map[string]string{}
			for k, v := range tc.with {
				with[k] = sub(v)
			}
			for k, v := range tc.want.outputs {
				tc.want.outputs[k] = sub(v)
			}
			for _, list := range [][]string{tc.want.errors, tc.want.contains, tc.want.summary} {
				for i := range list {
					list[i] = sub(list[i])
				}
			}
			r := e.runAction(t, with)
			if r.Code != tc.want.code {
				t.Errorf("exit status = %d, want %d\nstdout:\n%s", r.Code, tc.want.code, r.Stdout)
			}
			for k, v := range tc.want.outputs {
				if got, ok := r.Outputs[k]; !ok || got != v {
					t.Errorf("output %s = %q (set: %v), want %q", k, got, ok, v)
				}
			}
			for _, o := range []string{"valid", "token-type", "login", "scopes", "missing-scopes", "expires-at", "days-remaining", "pushable", "not-pushable", "report", "reminders"} {
				if _, ok := r.Outputs[o]; !ok {
					t.Errorf("output %s is not set; every output is set on every run", o)
				}
			}
			for kind, titles := range map[string][]string{"error": tc.want.errors, "warning": tc.want.warnings, "notice": tc.want.notices} {
				if titles == nil {
					continue
				}
				if diff := cmp.Diff(titles, r.Titles(kind)); diff != "" {
					t.Errorf("%s annotations (-want +got):\n%s\nstdout:\n%s", kind, diff, r.Stdout)
				}
			}
			if tc.want.requests != nil {
				if diff := cmp.Diff(tc.want.requests, paths(e.gh.Requests())); diff != "" {
					t.Errorf("requests to GitHub (-want +got):\n%s", diff)
				}
			}
			var messages strings.Builder
			for _, a := range r.Annotations {
				messages.WriteString(a.Message + "\n")
			}
			for _, s := range tc.want.contains {
				if !strings.Contains(messages.String(), s) {
					t.Errorf("no annotation says %q; annotations:\n%s", s, messages.String())
				}
			}
			for _, s := range tc.want.summary {
				if !strings.Contains(r.Summary, s) {
					t.Errorf("summary lacks %q:\n%s", s, r.Summary)
				}
			}
			if r.Summary == "" {
				t.Error("no step summary written")
			}
			tok := tc.with["token"]
			assertNoLeak(t, r, strings.TrimSpace(tok))
			if strings.TrimSpace(tok) != "" {
				assertMaskedFirst(t, r, strings.TrimSpace(tok))
			}
			// A token with a space inside is a secret in both halves.
			for _, half := range strings.Fields(tok) {
				if len(half) >= 4 {
					assertNoLeak(t, r, half)
				}
			}
		})
	}
}
