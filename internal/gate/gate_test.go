package gate

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
)

// The rules, one case each, from canned facts to findings: no server, no
// clock but this one.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const (
	classic = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	fine    = "github_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	inst    = "ghs_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	oauth   = "gho_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	refresh = "ghr_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	app     = "ghs_appxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
)

var (
	runtimeImg = image.Image{Registry: "ghcr.io", Repository: "aibrix/runtime"}
	gatewayImg = image.Image{Registry: "ghcr.io", Repository: "aibrix/gateway"}
	otherImg   = image.Image{Registry: "ghcr.io", Repository: "someoneelse/tool"}
)

func baseConfig() config.Config {
	api, _ := url.Parse("https://api.github.com")
	return config.Config{
		RequiredScopes: []string{"repo", "write:packages"},
		WarnDays:       14,
		OnMissing:      config.MissingFail,
		APIURL:         api,
		GitHubRegistry: "ghcr.io",
		ServerURL:      "https://github.com",
		Repository:     "aibrix/aibrix",
	}
}

func account(scopes ...string) *facts.GitHub {
	return &facts.GitHub{Account: facts.Account{Login: "aibrix-bot", ScopesReported: true, Scopes: scopes, Endpoint: "/user", ExpiresAt: now.Add(60 * 24 * time.Hour)}}
}

func failed(err error) *facts.GitHub { return &facts.GitHub{Err: err} }

type want struct {
	codes  []string // SEVERITY:code, in order
	checks map[string]Status
	passed bool
	health Health
	says   []string // substrings of the messages
	absent []string // substrings no message may hold
}

func TestJudge(t *testing.T) {
	t.Parallel()
	withPackages := func(c *config.Config) { c.Packages = []image.Image{runtimeImg, gatewayImg} }
	withOther := func(c *config.Config) { c.Packages = []image.Image{otherImg} }
	tests := []struct {
		name  string
		cfg   func(*config.Config)
		value string
		bad   string
		facts facts.Token
		want  want
	}{
		// Token, before any request.
		{name: "malformed token", bad: "it contains whitespace at position 5", want: want{codes: []string{"error:malformed"}, health: Failed,
			checks: map[string]Status{"Token format": Fail}, says: []string{"whitespace at position 5", "Nothing was sent"}}},
		{name: "empty token, on-missing fail", want: want{codes: []string{"error:empty"}, health: Unknown, checks: map[string]Status{"Token present": Fail},
			says: []string{"fork or as Dependabot"}}},
		{name: "empty token, on-missing warn", cfg: func(c *config.Config) { c.OnMissing = config.MissingWarn },
			want: want{codes: []string{"warning:empty"}, passed: true, health: Unknown, checks: map[string]Status{"Token present": Warn}}},
		{name: "empty token, on-missing skip", cfg: func(c *config.Config) { c.OnMissing = config.MissingSkip },
			want: want{codes: []string{"notice:empty"}, passed: true, health: Unknown, checks: map[string]Status{"Token present": Skipped}}},
		{name: "refresh token", value: refresh, want: want{codes: []string{"error:wrong-kind"}, health: Failed,
			says: []string{"cannot call the API", "settings/tokens/new?scopes=repo,write:packages"}}},
		{name: "fine-grained PAT where packages are required", value: fine, facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user"}}},
			want: want{codes: []string{"error:kind-not-for-packages", "notice:never-expires"}, health: Failed, checks: map[string]Status{"Token kind": Fail, "Scopes": Fail}}},
		{name: "fine-grained PAT without packages: scopes unverifiable", value: fine, cfg: func(c *config.Config) { c.RequiredScopes = []string{"repo"} },
			facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user", ExpiresAt: now.Add(60 * 24 * time.Hour)}}},
			want:  want{codes: []string{"notice:scopes-unverifiable"}, passed: true, health: Healthy, checks: map[string]Status{"Scopes": Unverified}}},

		// GitHub's answer.
		{name: "passing classic token", value: classic, facts: facts.Token{GitHub: account("repo", "write:packages")},
			want: want{passed: true, health: Healthy, checks: map[string]Status{"Token kind": Pass, "Credentials": Pass, "Scopes": Pass, "Expiry": Pass, "SSO and org policy": Skipped}}},
		{name: "401 bad credentials", value: classic, facts: facts.Token{GitHub: failed(&facts.BadCredentialsError{RequestID: "R1"})},
			want: want{codes: []string{"error:bad-credentials"}, health: Failed, checks: map[string]Status{"Credentials": Fail},
				says: []string{"expired or revoked", "(X-GitHub-Request-Id R1)", "https://github.com/settings/tokens/new?scopes=repo,write:packages&description=TOKEN"}}},
		{name: "SSO on the credentials request", value: classic, facts: facts.Token{GitHub: failed(&facts.SSOError{Org: "aibrix", AuthorizeURL: "https://github.com/orgs/aibrix/sso?authorization_request=A"})},
			want: want{codes: []string{"error:sso"}, health: Failed, checks: map[string]Status{"SSO and org policy": Fail}, says: []string{"valid for one hour"}}},
		{name: "organization policy on the credentials request", value: classic, facts: facts.Token{GitHub: failed(&facts.PolicyError{Kind: facts.PolicyNoClassicPAT, Org: "aibrix", Message: "aibrix forbids access via a personal access token (classic)."})},
			want: want{codes: []string{"error:org-policy"}, health: Failed}},
		// GitHub's words, cut after the first sentence: docs/facts.md,
		// "Error answers" (git-town/git-town#4609, mislav/hub#3363).
		{name: "organization policy: an owner of the organization changes it", value: classic, facts: facts.Token{GitHub: failed(&facts.PolicyError{Kind: facts.PolicyNoClassicPAT, Org: "aibrix", Classic: true, Message: "`aibrix` forbids access via a personal access token (classic)."})},
			want: want{codes: []string{"error:org-policy"}, health: Failed, says: []string{"aibrix forbids access", "an owner of aibrix allows classic tokens (Settings → Personal access tokens"}, absent: []string{"enterprise"}}},
		// microsoft/testfx#10322 (8 days), cut before "Please adjust":
		// docs/facts.md, "Error answers".
		{name: "an enterprise's lifetime policy names the enterprise and its owners", value: classic,
			facts: facts.Token{GitHub: failed(&facts.PolicyError{Kind: facts.PolicyLifetime, Org: "Microsoft Open Source", Enterprise: true, MaxDays: 8, Classic: true,
				Message: "The 'Microsoft Open Source' enterprise forbids access via a personal access tokens (classic) if the token's lifetime is greater than 8 days."})},
			want: want{codes: []string{"error:lifetime-policy"}, health: Failed, checks: map[string]Status{"SSO and org policy": Fail},
				says:   []string{"The enterprise Microsoft Open Source refuses TOKEN", "at most 8 days", "The limit is the enterprise Microsoft Open Source's policy: only its owners can change it", "not an organization owner"},
				absent: []string{"an owner of Microsoft", "Source' enterprise refuses", "organization's limit"}}},
		// No public source quotes an enterprise's ban of a whole kind
		// (docs/facts.md, "Error answers"): this message is modelled on
		// the enterprise lifetime message, not copied.
		{name: "an enterprise's ban on classic tokens: its owners, whom no organization overrides", value: classic,
			facts: facts.Token{GitHub: failed(&facts.PolicyError{Kind: facts.PolicyNoClassicPAT, Org: "Node.js", Enterprise: true, Classic: true, Message: "The 'Node.js' enterprise forbids access via a personal access token (classic)."})},
			want: want{codes: []string{"error:org-policy"}, health: Failed, says: []string{"The enterprise Node.js forbids access", "an owner of the enterprise Node.js allows classic tokens", "no organization can override it"},
				absent: []string{"an owner of Node.js"}}},
		// 403 and its message: docs/facts.md, "Error answers"
		// (semantic-release/cli#124, PyGithub/PyGithub#1248).
		{name: "GitHub's failed-login lockout: inconclusive, never the token refused", value: classic,
			facts: facts.Token{GitHub: failed(&facts.LockoutError{Status: 403, Message: "Maximum number of login attempts exceeded. Please try again later.", RequestID: "R9"})},
			want: want{codes: []string{"error:github-lockout"}, health: Unknown, checks: map[string]Status{"Credentials": Unverified},
				says:   []string{"\"Maximum number of login attempts exceeded. Please try again later.\"", "(X-GitHub-Request-Id R9)", "says nothing about TOKEN itself", "some job, script or machine is sending a wrong credential"},
				absent: []string{"refused the token", "expired or revoked", "Check that TOKEN is the token you meant"}}},
		{name: "primary rate limit", value: classic, facts: facts.Token{GitHub: failed(&facts.RateLimitError{Status: 403, Reset: now.Add(17 * time.Minute)})},
			want: want{codes: []string{"error:rate-limit"}, health: Unknown, checks: map[string]Status{"Credentials": Unverified},
				says: []string{"primary rate limit", "in 17m0s", "says nothing about the token"}, absent: []string{"expired"}}},
		{name: "secondary rate limit", value: classic, facts: facts.Token{GitHub: failed(&facts.RateLimitError{Status: 429, Secondary: true, RetryAfter: 2 * time.Minute})},
			want: want{codes: []string{"error:rate-limit"}, health: Unknown, says: []string{"secondary rate limit", "wait 2m0s"}}},
		{name: "GitHub unreachable", value: classic, facts: facts.Token{GitHub: failed(&facts.UnreachableError{Status: 502, RequestID: "R2"})},
			want: want{codes: []string{"error:github-unreachable"}, health: Unknown, says: []string{"502 Bad Gateway", "unknown, not bad"}}},
		{name: "an answer that is not GitHub's", value: classic, facts: facts.Token{GitHub: failed(&facts.UnexpectedAnswerError{Status: 200, ContentType: "text/html", Start: "<html>", URL: "/user"})},
			want: want{codes: []string{"error:unexpected-answer"}, health: Unknown, checks: map[string]Status{"Credentials": Unverified},
				says: []string{"200 OK", "text/html", "<html>", "validity is unknown, not bad"}, absent: []string{"refused the token"}}},
		{name: "404 from the API: wrong api-url, inconclusive", value: classic, facts: facts.Token{GitHub: failed(&facts.APIError{Status: 404, URL: "/user"})},
			want: want{codes: []string{"error:wrong-api-url"}, health: Unknown}},
		{name: "another refusal", value: classic, facts: facts.Token{GitHub: failed(&facts.APIError{Status: 403, Message: "Forbidden", URL: "/user"})},
			want: want{codes: []string{"error:github-refused"}, health: Failed}},
		{name: "a destination refused before sending: nothing proven", value: classic, facts: facts.Token{GitHub: failed(&facts.RefusedError{Reason: "refused to send the token to http://evil"})},
			want: want{codes: []string{"error:not-sent"}, health: Unknown}},
		{name: "GHES with rate limiting off: authenticated", value: inst, facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Endpoint: "/rate_limit", RateLimitingOff: true}}},
			want: want{codes: []string{"notice:scopes-not-apply"}, passed: true, health: Healthy, checks: map[string]Status{"Credentials": Pass, "Expiry": NotApplicable}}},

		// Scopes.
		{name: "missing scopes", value: classic, facts: facts.Token{GitHub: account("repo")},
			want: want{codes: []string{"error:missing-scopes"}, health: Failed, checks: map[string]Status{"Scopes": Fail}, says: []string{"lacks the scope write:packages (it has repo)"}}},
		{name: "implied scopes count, the general write/admin rule too", value: classic, cfg: func(c *config.Config) { c.RequiredScopes = []string{"read:org", "public_repo", "read:packages"} },
			facts: facts.Token{GitHub: account("write:org", "repo", "write:packages")}, want: want{passed: true, health: Healthy, checks: map[string]Status{"Scopes": Pass}}},
		{name: "classic PAT whose answer lacks X-OAuth-Scopes fails closed", value: classic,
			facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user", ExpiresAt: now.Add(60 * 24 * time.Hour)}}},
			want:  want{codes: []string{"error:scopes-header-missing"}, health: Unknown, checks: map[string]Status{"Scopes": Unverified}, says: []string{"always sends for this kind"}}},
		{name: "high-risk scopes warn, and a fix link never asks for them", value: classic, cfg: func(c *config.Config) { c.FailDays = 7 },
			facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user", ScopesReported: true, Scopes: []string{"repo", "delete_repo"}, ExpiresAt: now.Add(2 * 24 * time.Hour)}}},
			want: want{codes: []string{"error:missing-scopes", "warning:high-risk-scopes", "error:expires-soon"}, health: Failed,
				says: []string{"scopes=repo,write:packages&"}, absent: []string{"delete_repo&description", "scopes=delete_repo", ",delete_repo,"}}},
		{name: "installation token: scopes do not apply", value: inst, facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Endpoint: "/rate_limit"}}},
			want: want{codes: []string{"notice:scopes-not-apply"}, passed: true, health: Healthy, checks: map[string]Status{"Scopes": NotApplicable, "SSO and org policy": NotApplicable}}},
		{name: "OAuth token: authorize the app again", value: oauth, facts: facts.Token{GitHub: account("read:packages")},
			want: want{codes: []string{"error:missing-scopes"}, health: Failed, says: []string{"Authorize the OAuth app again"}}},

		// Expiry thresholds.
		{name: "never expires", value: classic, facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user", ScopesReported: true, Scopes: []string{"repo", "write:packages"}}}},
			want: want{codes: []string{"notice:never-expires"}, passed: true, health: Healthy}},
		{name: "unreadable expiry", value: classic, facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user", ScopesReported: true, Scopes: []string{"repo", "write:packages"}, ExpiryUnreadable: "soon"}}},
			want: want{codes: []string{"warning:expiry-unreadable"}, passed: true, health: Healthy, checks: map[string]Status{"Expiry": Unverified}}},
		// GitHub sends the expiry only on an answer that accepted the token,
		// so an expiry in the past is a token that works and expires now.
		{name: "a 200 with an expiry 43 s past: expires now, a warning", value: classic, facts: facts.Token{GitHub: expiringAt(now.Add(-43 * time.Second))},
			want: want{codes: []string{"warning:expires-soon"}, passed: true, health: Expiring, checks: map[string]Status{"Expiry": Warn},
				says: []string{"expires now", "43 s before this check", "go-github#3708"}, absent: []string{"day ago", "days ago", "expired"}}},
		{name: "a 200 with an expiry a day past: still expires now", value: classic, facts: facts.Token{GitHub: expiring(-1)},
			want: want{codes: []string{"warning:expires-soon"}, passed: true, health: Expiring, checks: map[string]Status{"Expiry": Warn}, says: []string{"24 h before this check"}}},
		{name: "expires now, inside fail-within-days: an error", value: classic, cfg: func(c *config.Config) { c.FailDays = 3 }, facts: facts.Token{GitHub: expiringAt(now)},
			want: want{codes: []string{"error:expires-soon"}, health: Failed, checks: map[string]Status{"Expiry": Fail}, says: []string{"expires now"}}},
		{name: "expires in 5 hours: less than a day left", value: classic, facts: facts.Token{GitHub: expiringAt(now.Add(5 * time.Hour))},
			want: want{codes: []string{"warning:expires-soon"}, passed: true, health: Expiring, says: []string{"(less than a day left)"}}},
		{name: "inside fail-within-days", value: classic, cfg: func(c *config.Config) { c.FailDays = 7 }, facts: facts.Token{GitHub: expiring(3)},
			want: want{codes: []string{"error:expires-soon"}, health: Failed, says: []string{"(3 days left), inside `fail-within-days` (7)"}}},
		{name: "inside warn-within-days", value: classic, facts: facts.Token{GitHub: expiring(9)},
			want: want{codes: []string{"warning:expires-soon"}, passed: true, health: Expiring, says: []string{"(9 days left), inside `warn-within-days` (14)"}}},
		{name: "a terminal names its flags", value: classic, cfg: func(c *config.Config) { c.Terminal = true }, facts: facts.Token{GitHub: expiring(9)},
			want: want{codes: []string{"warning:expires-soon"}, passed: true, health: Expiring, says: []string{"inside --warn-within-days (14)"}, absent: []string{"`warn-within-days`"}}},
		{name: "on the warn boundary: 14 days is outside warn-within-days 14", value: classic, facts: facts.Token{GitHub: expiring(14)},
			want: want{passed: true, health: Healthy}},
		{name: "warn-within-days 0 turns the warning off", value: classic, cfg: func(c *config.Config) { c.WarnDays = 0 }, facts: facts.Token{GitHub: expiring(2)},
			want: want{passed: true, health: Healthy}},

		// Images.
		{name: "images not probed after a 401", value: classic, cfg: withPackages, facts: facts.Token{GitHub: failed(&facts.BadCredentialsError{})},
			want: want{codes: []string{"error:bad-credentials"}, health: Failed, checks: map[string]Status{"SSO and org policy": Skipped}}},
		{name: "every image pushable", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images: []facts.ImageResult{{Image: runtimeImg, Outcome: facts.Pushable, Status: 202}, {Image: gatewayImg, Outcome: facts.Pushable, Status: 202}}},
			want: want{passed: true, health: Healthy, checks: map[string]Status{"SSO and org policy": Pass}}},
		{name: "denied, the package exists: write access", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(runtimeImg), {Image: gatewayImg, Outcome: facts.Pushable}},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Found: true}}},
			want: want{codes: []string{"error:cannot-push"}, health: Failed, checks: map[string]Status{"SSO and org policy": Pass}, says: []string{"the refusal is about write access"}}},
		{name: "denied, SSO: one SSO finding for the organization", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(runtimeImg), denied(gatewayImg)},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Err: &facts.SSOError{Org: "aibrix"}}, gatewayImg.String(): {Err: &facts.SSOError{Org: "aibrix"}}}},
			want: want{codes: []string{"error:sso", "error:cannot-push", "error:cannot-push"}, health: Failed, checks: map[string]Status{"SSO and org policy": Fail},
				says: []string{"Configure SSO → Authorize next to aibrix"}}},
		{name: "denied, lifetime policy", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(runtimeImg), {Image: gatewayImg, Outcome: facts.Pushable}},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Err: &facts.PolicyError{Kind: facts.PolicyLifetime, Org: "aibrix", MaxDays: 90}}}},
			want: want{codes: []string{"error:lifetime-policy", "error:cannot-push"}, health: Failed, says: []string{"fine-grained personal access tokens to live at most 90 days"}}},
		{name: "denied, classic lifetime policy: its own wording and the classic page", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(runtimeImg), {Image: gatewayImg, Outcome: facts.Pushable}},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Owner: facts.OwnerOrg, Err: &facts.PolicyError{Kind: facts.PolicyLifetime, Classic: true, Org: "aibrix", MaxDays: 7}}}},
			want: want{codes: []string{"error:lifetime-policy", "error:cannot-push"}, health: Failed, says: []string{"personal access tokens (classic) to live at most 7 days", "Regenerate it at https://github.com/settings/tokens with"}}},
		{name: "lifetime policy: the token's own page when GitHub names it on its host", value: fine, cfg: withPackages, facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user"}},
			Images: []facts.ImageResult{denied(runtimeImg), denied(gatewayImg)},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Owner: facts.OwnerOrg, Err: &facts.PolicyError{Kind: facts.PolicyLifetime, Org: "aibrix", MaxDays: 90, SettingsURL: "https://github.com/settings/personal-access-tokens/1288"}},
				gatewayImg.String(): {Owner: facts.OwnerOrg, Err: &facts.PolicyError{Kind: facts.PolicyLifetime, Org: "aibrix", MaxDays: 90, SettingsURL: "https://github.com/settings/personal-access-tokens/1288"}}}},
			want: want{codes: []string{"error:kind-not-for-packages", "notice:never-expires", "error:lifetime-policy", "error:cannot-push", "error:cannot-push"}, health: Failed, says: []string{"Regenerate it at https://github.com/settings/personal-access-tokens/1288 with"}}},
		{name: "a server's link on another host is never linked", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(runtimeImg), {Image: gatewayImg, Outcome: facts.Pushable}},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Owner: facts.OwnerOrg, Err: &facts.SSOError{Org: "aibrix", AuthorizeURL: "https://evil.example/orgs/aibrix/sso"}}}},
			want: want{codes: []string{"error:sso", "error:cannot-push"}, health: Failed, says: []string{"Authorize it at https://github.com/settings/tokens → Configure SSO"}, absent: []string{"evil.example"}}},
		{name: "denied, the organization bans fine-grained tokens", value: fine, cfg: withPackages, facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user"}},
			Images:    []facts.ImageResult{denied(runtimeImg), denied(gatewayImg)},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Owner: facts.OwnerOrg, Err: &facts.PolicyError{Kind: facts.PolicyNoFineGrainedPAT, Org: "aibrix"}}, gatewayImg.String(): {Owner: facts.OwnerOrg, Err: &facts.PolicyError{Kind: facts.PolicyNoFineGrainedPAT, Org: "aibrix"}}}},
			want: want{codes: []string{"error:kind-not-for-packages", "notice:never-expires", "error:org-policy", "error:cannot-push", "error:cannot-push"}, health: Failed, says: []string{"forbids access via a fine-grained personal access token"}}},
		{name: "registry unreachable and rate limited are inconclusive", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images: []facts.ImageResult{{Image: runtimeImg, Outcome: facts.Unreachable, Step: "upload", Status: 503}, {Image: gatewayImg, Outcome: facts.RateLimited, Step: "upload", Status: 429}}},
			want: want{codes: []string{"error:registry-unreachable", "error:registry-rate-limit"}, health: Unknown, checks: map[string]Status{"SSO and org policy": Unverified}}},
		{name: "an unexpected registry answer is no proof, and opens no reminder", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images: []facts.ImageResult{{Image: runtimeImg, Outcome: facts.Unexpected, Step: "upload", Status: 404, Message: "not found"}, {Image: gatewayImg, Outcome: facts.Pushable}}},
			want: want{codes: []string{"error:push-not-proven"}, health: Unknown, says: []string{"A push would meet the same answer"}, absent: []string{"undocumented", "does not guess"}}},
		{name: "a 403 before any credential was sent blames no token", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images: []facts.ImageResult{{Image: runtimeImg, Outcome: facts.Unexpected, Step: "challenge", Status: 403, Message: "the anonymous GET /v2/ was answered 403 before any credential was sent"}, {Image: gatewayImg, Outcome: facts.Unexpected, Step: "challenge", Status: 403}}},
			want: want{codes: []string{"error:push-not-proven", "error:push-not-proven"}, health: Unknown, says: []string{"No credential had been sent yet, so this says nothing about the token"},
				absent: []string{"expired or revoked", "Cannot push", "write:packages ("}}},

		// The registry decides: a kind GitHub's docs say ghcr.io refuses.
		{name: "fine-grained PAT that ghcr.io accepts: pass, with a notice quoting the docs", value: fine, cfg: withPackages,
			facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user", ExpiresAt: now.Add(60 * 24 * time.Hour)}},
				Images: []facts.ImageResult{{Image: runtimeImg, Outcome: facts.Pushable, Status: 202}, {Image: gatewayImg, Outcome: facts.Pushable, Status: 202}}},
			want: want{codes: []string{"notice:kind-accepted-by-registry"}, passed: true, health: Healthy, checks: map[string]Status{"Token kind": Pass, "Scopes": NotApplicable},
				says: []string{"\"GitHub Packages only supports authentication using a personal access token (classic)\"", "the registry decides"}}},
		{name: "fine-grained PAT that ghcr.io refuses: the kind error with the registry's words", value: fine, cfg: withPackages,
			facts: facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Login: "x", Endpoint: "/user", ExpiresAt: now.Add(60 * 24 * time.Hour)}},
				Images: []facts.ImageResult{denied(runtimeImg), {Image: gatewayImg, Outcome: facts.Pushable}}},
			want: want{codes: []string{"error:kind-not-for-packages", "error:cannot-push"}, health: Failed, checks: map[string]Status{"Token kind": Fail},
				says: []string{"ghcr.io refused it too: \"permission_denied: write_package\""}}},

		// Why a refusal: what owns the namespace.
		{name: "another user's namespace: only that user creates packages there", value: classic, cfg: withOther, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(otherImg)},
			Diagnoses: map[string]facts.Diagnosis{otherImg.String(): {Owner: facts.OwnerUser, Err: &facts.APIError{Status: 404}}}},
			want: want{codes: []string{"error:cannot-push"}, health: Failed, says: []string{"personal namespace of the user someoneelse, not of aibrix-bot", "Only someoneelse can create packages"},
				absent: []string{"the first push creates it", "/orgs/someoneelse"}}},
		{name: "another user's existing package: that user grants write", value: classic, cfg: withOther, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(otherImg)},
			Diagnoses: map[string]facts.Diagnosis{otherImg.String(): {Owner: facts.OwnerUser, Found: true}}},
			want: want{codes: []string{"error:cannot-push"}, health: Failed, says: []string{"someoneelse must grant aibrix-bot write access", "https://github.com/users/someoneelse/packages/container/tool/settings"}}},
		{name: "no such account", value: classic, cfg: withOther, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(otherImg)},
			Diagnoses: map[string]facts.Diagnosis{otherImg.String(): {Owner: facts.OwnerMissing, Err: &facts.APIError{Status: 404}}}},
			want: want{codes: []string{"error:cannot-push"}, health: Failed, says: []string{"no user or organization named someoneelse"}}},
		{name: "a 404 under an organization does not rule SSO out for a classic token", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(runtimeImg), {Image: gatewayImg, Outcome: facts.Pushable}},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Owner: facts.OwnerOrg, Err: &facts.APIError{Status: 404}}}},
			want: want{codes: []string{"error:cannot-push"}, health: Failed, checks: map[string]Status{"SSO and org policy": Unverified},
				says: []string{"GitHub also answers 404 when aibrix enforces SAML single sign-on", "Configure SSO → Authorize next to aibrix"}}},
		// The failed-login 403, its message cut (docs/facts.md, "Error
		// answers").
		{name: "a lockout met while asking why: the lockout, once, and no guessed cause", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images: []facts.ImageResult{denied(runtimeImg), denied(gatewayImg)},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Err: &facts.LockoutError{Status: 403, Message: "Maximum number of login attempts exceeded"}},
				gatewayImg.String(): {Err: &facts.LockoutError{Status: 403, Message: "Maximum number of login attempts exceeded"}}}},
			want: want{codes: []string{"error:github-lockout", "error:cannot-push", "error:cannot-push"}, health: Failed, says: []string{"GitHub could not say why: it is refusing every login"}}},
		// Message "m" is a placeholder, not GitHub's words; no assertion
		// reads it.
		{name: "an enterprise's policy met while asking why names the enterprise", value: classic, cfg: withPackages, facts: facts.Token{GitHub: account("repo", "write:packages"),
			Images:    []facts.ImageResult{denied(runtimeImg), {Image: gatewayImg, Outcome: facts.Pushable}},
			Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Owner: facts.OwnerOrg, Err: &facts.PolicyError{Kind: facts.PolicyLifetime, Org: "Microsoft Open Source", Enterprise: true, MaxDays: 90, Classic: true, Message: "m"}}}},
			want: want{codes: []string{"error:lifetime-policy", "error:cannot-push"}, health: Failed, checks: map[string]Status{"SSO and org policy": Fail},
				says: []string{"a policy of the enterprise Microsoft Open Source, to which aibrix belongs", "see the enterprise's finding"}}},
		// Which installation token is this job's GITHUB_TOKEN: github-token
		// is it only while it keeps its default, so an App's token is named
		// so only as far as github-token says, and the job's own token is
		// never called an App's when github-token holds another token.
		{name: "another installation token than github-token's default: an App's, GHCR takes none", value: app, cfg: func(c *config.Config) { withPackages(c); c.GitHubToken = inst }, facts: installationDenied(),
			want: want{codes: []string{"notice:scopes-not-apply", "error:cannot-push"}, health: Failed,
				says:   []string{"TOKEN is not the token in `github-token`", "If `github-token` keeps its default, this job's GITHUB_TOKEN, TOKEN is a GitHub App's installation token", "GHCR refuses GitHub App tokens on organization packages", "a classic PAT with write:packages"},
				absent: []string{"installation token, not this job's GITHUB_TOKEN"}}},
		{name: "the job's GITHUB_TOKEN, github-token at its default: permissions and Manage Actions access", value: inst, cfg: func(c *config.Config) { withPackages(c); c.GitHubToken = inst }, facts: installationDenied(),
			want: want{codes: []string{"notice:scopes-not-apply", "error:cannot-push"}, health: Failed, says: []string{"Manage Actions access"}, absent: []string{"GitHub App"}}},
		{name: "the job's GITHUB_TOKEN, github-token set to a PAT: never called an App's", value: inst, cfg: func(c *config.Config) { withPackages(c); c.GitHubToken = classic }, facts: installationDenied(),
			want: want{codes: []string{"notice:scopes-not-apply", "error:cannot-push"}, health: Failed,
				says:   []string{"If this is a workflow's GITHUB_TOKEN: The package exists", "Manage Actions access"},
				absent: []string{"not this job's GITHUB_TOKEN", "is not the token in", "TOKEN is a GitHub App"}}},
		{name: "the job's GITHUB_TOKEN, github-token set to an App's token: never called an App's outright", value: inst, cfg: func(c *config.Config) { withPackages(c); c.GitHubToken = app }, facts: installationDenied(),
			want: want{codes: []string{"notice:scopes-not-apply", "error:cannot-push"}, health: Failed,
				says:   []string{"If `github-token` was set to another token and TOKEN is this job's GITHUB_TOKEN: The package exists"},
				absent: []string{"installation token, not this job's GITHUB_TOKEN"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := baseConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			v := Judge(Input{Config: cfg, Entry: config.Entry{Name: "TOKEN", Value: tc.value, Bad: tc.bad}, Facts: tc.facts, Now: now})
			got := []string{}
			var msgs strings.Builder
			for _, f := range v.Findings {
				got = append(got, string(f.Severity)+":"+string(f.Code))
				msgs.WriteString(f.Message + "\n")
			}
			if tc.want.codes == nil {
				tc.want.codes = []string{}
			}
			if diff := cmp.Diff(tc.want.codes, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, msgs.String())
			}
			for name, status := range tc.want.checks {
				found := false
				for _, c := range v.Checks {
					if c.Name == name {
						found = true
						if c.Status != status {
							t.Errorf("check %q = %s (%s), want %s", name, c.Status, c.Detail, status)
						}
					}
				}
				if !found {
					t.Errorf("no check %q in %+v", name, v.Checks)
				}
			}
			if v.Passed() != tc.want.passed {
				t.Errorf("Passed() = %v, want %v", v.Passed(), tc.want.passed)
			}
			if v.Health() != tc.want.health {
				t.Errorf("Health() = %s, want %s", v.Health(), tc.want.health)
			}
			for _, s := range tc.want.says {
				if !strings.Contains(msgs.String(), s) {
					t.Errorf("no finding says %q:\n%s", s, msgs.String())
				}
			}
			for _, s := range tc.want.absent {
				if strings.Contains(msgs.String(), s) {
					t.Errorf("a finding says %q:\n%s", s, msgs.String())
				}
			}
			if len(cfg.Packages) > 0 && len(v.Images) != len(cfg.Packages) {
				t.Errorf("%d image rows for %d images", len(v.Images), len(cfg.Packages))
			}
		})
	}
}

// installationDenied is an installation token that GitHub answered and
// ghcr.io refused on an organization package it can read. ghcr.io's words:
// docs/facts.md, "GitHub Packages" (devsy-org/devsy#777,
// SlyBase/helm-charts#595); it gives no status, and 403 is this fake's.
func installationDenied() facts.Token {
	return facts.Token{GitHub: &facts.GitHub{Account: facts.Account{Endpoint: "/rate_limit"}},
		Images:    []facts.ImageResult{{Image: runtimeImg, Outcome: facts.Denied, Step: "upload", Status: 403, Message: "permission_denied: installation not allowed to Write organization package"}, {Image: gatewayImg, Outcome: facts.Pushable}},
		Diagnoses: map[string]facts.Diagnosis{runtimeImg.String(): {Owner: facts.OwnerOrg, Found: true}}}
}

func expiring(days int) *facts.GitHub {
	g := account("repo", "write:packages")
	g.Account.ExpiresAt = now.Add(time.Duration(days)*24*time.Hour + time.Hour)
	if days < 0 {
		g.Account.ExpiresAt = now.Add(time.Duration(days) * 24 * time.Hour)
	}
	return g
}

func expiringAt(t time.Time) *facts.GitHub {
	g := account("repo", "write:packages")
	g.Account.ExpiresAt = t
	return g
}

// denied is the refusal docker prints for a GITHUB_TOKEN without package
// write, "denied: permission_denied: write_package" (docs/facts.md, "What
// docker prints"), which gives no status: 403 is this fake's.
func denied(img image.Image) facts.ImageResult {
	return facts.ImageResult{Image: img, Outcome: facts.Denied, Step: "upload", Status: 403, Message: "permission_denied: write_package"}
}

// TestJudgeRegistryCredential covers the rules for a credential of another
// registry: the login decides validity, GitHub's checks do not apply.
func TestJudgeRegistryCredential(t *testing.T) {
	t.Parallel()
	hub := image.Image{Registry: image.DockerHub, Repository: "aibrix/runtime"}
	cfg := baseConfig()
	cfg.Registry, cfg.Username, cfg.Packages = image.DockerHub, "aibrix", []image.Image{hub}
	login := func(o facts.Outcome, status int) *facts.ImageResult {
		return &facts.ImageResult{Image: image.Image{Registry: image.DockerHub}, Outcome: o, Step: "token", Status: status}
	}
	for _, tc := range []struct {
		name   string
		facts  facts.Token
		scopes bool
		codes  []string
		health Health
	}{
		{"accepted and pushable", facts.Token{Login: login(facts.Accepted, 200), Images: []facts.ImageResult{{Image: hub, Outcome: facts.Pushable}}},
			false, []string{"notice:expiry-not-visible"}, Healthy},
		{"required-scopes given: one notice", facts.Token{Login: login(facts.Accepted, 200), Images: []facts.ImageResult{{Image: hub, Outcome: facts.Pushable}}},
			true, []string{"notice:required-scopes-ignored", "notice:expiry-not-visible"}, Healthy},
		{"refused", facts.Token{Login: login(facts.Denied, 401)},
			false, []string{"error:bad-registry-credentials", "notice:expiry-not-visible"}, Failed},
		{"the token service is down", facts.Token{Login: login(facts.Unreachable, 503)},
			false, []string{"error:registry-unreachable", "notice:expiry-not-visible"}, Unknown},
		{"accepted, an image refused", facts.Token{Login: login(facts.Accepted, 200), Images: []facts.ImageResult{denied(hub)}},
			false, []string{"notice:expiry-not-visible", "error:cannot-push"}, Failed},
	} {
		c := cfg
		c.ScopesIgnored = tc.scopes
		v := Judge(Input{Config: c, Entry: config.Entry{Name: "DOCKER_HUB_ACCESS_TOKEN", Value: "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"}, Facts: tc.facts, Now: now})
		var got []string
		for _, f := range v.Findings {
			got = append(got, string(f.Severity)+":"+string(f.Code))
		}
		if diff := cmp.Diff(tc.codes, got); diff != "" {
			t.Errorf("%s: findings (-want +got):\n%s", tc.name, diff)
		}
		if v.Health() != tc.health || v.Kind != "docker-hub-pat" {
			t.Errorf("%s: health %s kind %s", tc.name, v.Health(), v.Kind)
		}
		for _, c := range v.Checks {
			if c.Name == "Scopes" && c.Status != NotApplicable || c.Name == "SSO and org policy" && c.Status != NotApplicable {
				t.Errorf("%s: check %s = %s; GitHub's checks do not apply", tc.name, c.Name, c.Status)
			}
		}
	}
}

// TestJudgeDockerHubTokens covers what Docker Hub's answers mean for each
// kind of its tokens: an organization token's username is the
// organization's name, a lockout follows some wrong credential, and a
// read-only token is refused at the push-scoped token request.
func TestJudgeDockerHubTokens(t *testing.T) {
	t.Parallel()
	hub := image.Image{Registry: image.DockerHub, Repository: "aibrix/runtime"}
	cfg := baseConfig()
	cfg.Registry, cfg.Username, cfg.Packages = image.DockerHub, "aibrix", []image.Image{hub}
	const pat, oat = "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx", "dckr_oat_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	login := func(o facts.Outcome, status int, msg string) *facts.ImageResult {
		return &facts.ImageResult{Image: image.Image{Registry: image.DockerHub}, Outcome: o, Step: "token", Status: status, Message: msg}
	}
	accepted := login(facts.Accepted, 200, "")
	for _, tc := range []struct {
		name   string
		value  string
		facts  facts.Token
		code   Code
		health Health
		says   []string
		absent []string
	}{
		// 401 and Docker Hub's words as docker prints them
		// (docker/for-win#4298); the token service's body is an
		// unconfirmed shape (testdata/answers/dockerhub-token-401-details.json).
		{"an organization token refused: the organization's name, its own settings", oat, facts.Token{Login: login(facts.Denied, 401, "incorrect username or password")},
			CodeBadRegistryLogin, Failed, []string{"logs in as the organization's name, not a person's Docker ID", "organization's own settings", "\"Repository Create\" scope",
				"the organization aibrix → Identity & auth → Access tokens"},
			[]string{"username is the Docker ID", "personal-access-tokens", "→ Settings → Access tokens"}},
		{"a personal token refused: the Docker ID and the personal tokens page", pat, facts.Token{Login: login(facts.Denied, 401, "incorrect username or password")},
			CodeBadRegistryLogin, Failed, []string{"is the Docker ID", "app.docker.com/settings/personal-access-tokens"}, nil},
		// 429 and its words: docs/facts.md, "Docker Hub"
		// (docker/hub-feedback#2217, #642).
		{"the lockout after failed logins: some job uses a wrong credential", pat, facts.Token{Login: login(facts.RateLimited, 429, "too many failed login attempts for username or IP address")},
			CodeRegistryLockout, Unknown, []string{"\"too many failed login attempts for username or IP address\"", "some job or machine is using a wrong credential for the account aibrix"},
			[]string{"not a bad token"}},
		// 401 and its words at the token step: docs/facts.md, "Docker Hub"
		// (spinalcordtoolbox/spinalcordtoolbox#5286).
		{"a read-only token is refused a push token", pat, facts.Token{Login: accepted, Images: []facts.ImageResult{{Image: hub, Outcome: facts.Denied, Step: "token", Status: 401, Message: "access token has insufficient scopes"}}},
			CodeCannotPush, Failed, []string{"\"access token has insufficient scopes\"", "the access token cannot write (a Repo Read-only or Repo Public Read-only token)",
				"Edit the token's permission to Repo Read & Write at https://app.docker.com/settings/personal-access-tokens", "Editing keeps the token's value, so the secret need not change"},
			[]string{"create a new personal access token", "Then update the secret"}},
		{"an organization token without the repository: edit it in place", oat, facts.Token{Login: accepted, Images: []facts.ImageResult{denied(hub)}},
			CodeCannotPush, Failed, []string{"pushes only to the repositories it lists", "\"Repository Create\" scope",
				"the organization aibrix → Identity & auth → Access tokens → the token's actions menu → Edit", "give it aibrix/runtime with Image Push", "Editing keeps the token's value"},
			[]string{"→ Settings → Access tokens", "create a new one"}},
	} {
		v := Judge(Input{Config: cfg, Entry: config.Entry{Name: "DOCKER_HUB_ACCESS_TOKEN", Value: tc.value}, Facts: tc.facts, Now: now})
		var msgs strings.Builder
		for _, f := range v.Findings {
			msgs.WriteString(f.Message + "\n")
		}
		if !v.Has(tc.code) || v.Health() != tc.health {
			t.Errorf("%s: codes %v, health %s; want %s, %s\n%s", tc.name, v.Findings, v.Health(), tc.code, tc.health, msgs.String())
		}
		for _, say := range tc.says {
			if !strings.Contains(msgs.String(), say) {
				t.Errorf("%s: no finding says %q:\n%s", tc.name, say, msgs.String())
			}
		}
		for _, say := range tc.absent {
			if strings.Contains(msgs.String(), say) {
				t.Errorf("%s: a finding says %q:\n%s", tc.name, say, msgs.String())
			}
		}
	}
}

// TestPlan covers what the gate tells the gather step to ask.
func TestPlan(t *testing.T) {
	t.Parallel()
	cfg := baseConfig()
	cfg.Packages = []image.Image{runtimeImg}
	for _, tc := range []struct {
		value, bad string
		github     *facts.GitHub
		asks       bool
		blocker    string
	}{
		{value: classic, asks: true, blocker: ""},
		{value: "", asks: false, blocker: "no usable token to probe with"},
		{value: refresh, asks: false, blocker: "no usable token to probe with"},
		{value: classic, bad: "whitespace", asks: false, blocker: "no usable token to probe with"},
		{value: fine, asks: true, blocker: ""}, // the registry decides
		{value: classic, github: failed(&facts.BadCredentialsError{}), asks: true, blocker: "the token was refused by GitHub"},
		{value: classic, github: failed(&facts.RateLimitError{}), asks: true, blocker: ""},
	} {
		e := config.Entry{Name: "T", Value: tc.value, Bad: tc.bad}
		if got := AsksGitHub(cfg, e); got != tc.asks {
			t.Errorf("AsksGitHub(%.6s, bad=%q) = %v, want %v", tc.value, tc.bad, got, tc.asks)
		}
		if got := ProbeBlocker(cfg, e, tc.github, nil); got != tc.blocker {
			t.Errorf("ProbeBlocker(%.6s) = %q, want %q", tc.value, got, tc.blocker)
		}
	}
	local := image.Image{Registry: "127.0.0.1:5000", Repository: "o/n"}
	other := image.Image{Registry: "registry.example.com", Repository: "o/n"}
	for img, want := range map[image.Image]bool{runtimeImg: true, local: true, other: false} {
		if got := NeedsDiagnosis(cfg, denied(img)); got != want {
			t.Errorf("NeedsDiagnosis(%s) = %v, want %v", img, got, want)
		}
	}
	if NeedsDiagnosis(cfg, facts.ImageResult{Image: runtimeImg, Outcome: facts.Pushable}) {
		t.Error("a pushable image needs no diagnosis")
	}
}

// TestRedacted checks that redaction reaches every string a report prints,
// and changes nothing else.
func TestRedacted(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-VALUE"
	v := Verdict{TokenName: "T", Login: "l" + secret, Scopes: []string{secret}, Checks: []Check{{Name: "c", Detail: secret}},
		Findings: []Finding{{Code: CodeCannotPush, Severity: Error, Title: secret, Message: "said " + secret}},
		Images:   []facts.ImageResult{{Image: runtimeImg, Outcome: facts.Denied, Message: secret}}}
	run := Run{Verdicts: []Verdict{v}, Findings: []Finding{{Message: secret}}, Reminders: []Reminder{{Name: "T", URL: secret}}}
	red := run.Redacted(func(s string) string { return strings.ReplaceAll(s, secret, "***") })
	if strings.Contains(strings.ReplaceAll(cmp.Diff(Run{}, red), "SECRET-VALUE\"", ""), secret) {
		t.Errorf("a secret survived redaction:\n%+v", red)
	}
	if run.Verdicts[0].Findings[0].Message != "said "+secret {
		t.Error("Redacted changed the original")
	}
	if red.Verdicts[0].Findings[0].Code != CodeCannotPush || red.Verdicts[0].Images[0].Outcome != facts.Denied {
		t.Error("Redacted changed what is not text")
	}
}
