package fake

import (
	"net/http"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/token"
)

// Scenario is one run of the action as a workflow would make it, shared by the
// process-level test and the container test so both hold the binary and the
// image to the same expectations.
type Scenario struct {
	Name  string
	With  func(registryHost string) map[string]string
	Setup func(gh *GitHub, reg *Registry)
	Want  StepWant
}

// BareSecret is a base64 secret ending in ==, pasted where a NAME=VALUE line
// was expected.
const BareSecret = "YmFyZSBzZWNyZXQgb2YgdHdlbnR5LWZvdXIgYnl0ZXM=="

// StepLeaks scans a finished step, and every issue the fake holds, for every
// secret of the run (RunSecrets) in every form the program sends them. with
// are the inputs the step was given; github-token defaults to the context's.
func StepLeaks(r Step, gh *GitHub, reg *Registry, with, contexts map[string]string) []string {
	inputs := map[string]string{"github-token": contexts["github.token"]}
	for k, v := range with {
		inputs[k] = v
	}
	return Leaks(r.All()+"\n"+gh.IssueText(), RunSecrets(gh, reg, inputs)...)
}

// RunSecrets lists every secret a run may hold: the tokens the fake GitHub
// knows, every token the registry issued, the credentials among the inputs
// (keyed by input name: token, github-token, and all a tokens line may hold,
// its name too when the line may be a bare secret), and more. Values too
// short to be tokens are left out: they are refused before anything is
// sent, and would match ordinary words.
func RunSecrets(gh *GitHub, reg *Registry, inputs map[string]string, more ...string) []string {
	all := append(gh.Tokens(), inputs["token"], inputs["github-token"])
	for _, issued := range reg.Issued() {
		// A token that reads as an ordinary word is not a secret the run
		// keeps (secret.IsWordLike): masking it would garble the outputs.
		if !secret.IsWordLike(issued) {
			all = append(all, issued)
		}
	}
	for _, l := range config.TokenLines(inputs["tokens"]) {
		all = append(all, l.Secrets()...)
		if l.Suspect {
			all = append(all, l.Name)
		}
	}
	var out []string
	for _, s := range append(all, more...) {
		if s = strings.TrimSpace(s); len(s) >= token.MinLength {
			out = append(out, s)
		}
	}
	return out
}

// Contexts are the expression values the runner would evaluate action.yml's
// defaults with.
func Contexts(apiURL string) map[string]string {
	return map[string]string{
		"github.api_url":    apiURL,
		"github.server_url": "https://github.com",
		"github.repository": "aibrix/aibrix",
		"github.run_id":     "4242",
		"github.token":      Token("ghs_", "actions"),
	}
}

// Scenarios are the cases every packaging of token-gate must pass: a passing
// classic token, an expired one, missing scopes, a push probe that succeeds
// and one that is denied, an empty token under each on-missing value, and bad
// input. expires is a GitHub expiry header about 60 days ahead of the real
// clock, since a binary or a container runs on it.
func Scenarios(expires string) []Scenario {
	const name = "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN"
	good := Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: expires}
	none := func(*GitHub, *Registry) {}
	only := func(with map[string]string) func(string) map[string]string {
		return func(string) map[string]string { return with }
	}
	return []Scenario{
		{
			Name: "passing classic token",
			With: only(map[string]string{"token": Classic, "token-name": name, "required-scopes": "repo, write:packages"}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Classic, good)
			},
			Want: StepWant{Code: 0, Errors: []string{}, Warnings: []string{},
				Outputs: map[string]string{"valid": "true", "token-type": "classic-pat", "login": "aibrix-bot", "scopes": "repo,write:packages", "missing-scopes": "", "days-remaining": "59"},
				Summary: []string{"✅ token-gate: `" + name + "` passed"}},
		},
		{
			Name:  "expired token",
			With:  only(map[string]string{"token": Classic, "token-name": name}),
			Setup: none,
			Want: StepWant{Code: 1, Errors: []string{"Token expired or revoked"},
				Outputs:  map[string]string{"valid": "false", "token-type": "classic-pat", "expires-at": "", "days-remaining": ""},
				Contains: []string{name + " is expired or revoked"},
				Summary:  []string{"❌ token-gate: `" + name + "` failed", "401 Bad credentials"}},
		},
		{
			Name: "missing scopes",
			With: only(map[string]string{"token": Classic, "required-scopes": "repo, write:packages"}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Classic, Account{Login: "aibrix-bot", Scopes: "repo", Expiry: expires})
			},
			Want: StepWant{Code: 1, Errors: []string{"Missing scopes"}, Contains: []string{"lacks the scope write:packages (it has repo)"},
				Outputs: map[string]string{"valid": "false", "missing-scopes": "write:packages"},
				Summary: []string{"| Missing scopes | write:packages |"}},
		},
		{
			Name: "push probe succeeds",
			With: func(reg string) map[string]string {
				return map[string]string{"token": Classic, "packages": reg + "/aibrix/gateway-plugins:v1, " + reg + "/aibrix/runtime"}
			},
			Setup: func(gh *GitHub, reg *Registry) {
				gh.Add(Classic, good)
				reg.Accept(Classic)
			},
			Want: StepWant{Code: 0, Errors: []string{},
				Outputs: map[string]string{"valid": "true", "not-pushable": ""},
				Summary: []string{"✅ pushable (upload accepted with 202)"}},
		},
		{
			Name: "push probe denied",
			With: func(reg string) map[string]string {
				return map[string]string{"token": Classic, "packages": reg + "/aibrix/runtime"}
			},
			Setup: func(gh *GitHub, reg *Registry) {
				gh.Add(Classic, good)
				reg.Accept(Classic)
				reg.Deny("aibrix/runtime", "permission_denied: The token provided does not match expected scopes")
			},
			Want: StepWant{Code: 1, Outputs: map[string]string{"valid": "false", "pushable": ""},
				Contains: []string{`"permission_denied: The token provided does not match expected scopes"`},
				Summary:  []string{"❌ denied (403 at upload)"}},
		},
		{
			// SSO bites on the organization's own resources only
			// (docs/facts.md, "Where organization rules bite").
			Name: "SSO found on the refused image's package",
			With: func(reg string) map[string]string {
				return map[string]string{"token": Classic, "token-name": name, "packages": reg + "/aibrix/runtime"}
			},
			Setup: func(gh *GitHub, reg *Registry) {
				gh.Add(Classic, good)
				gh.SetOrg("aibrix", Org{SSO: true})
				reg.Accept(Classic)
				reg.Deny("aibrix/runtime", "permission_denied: write_package")
			},
			Want: StepWant{Code: 1, Errors: []string{"Token not authorized for SSO", "Cannot push REGISTRY/aibrix/runtime"},
				Outputs:  map[string]string{"valid": "false", "not-pushable": "REGISTRY/aibrix/runtime"},
				Contains: []string{"https://github.com/orgs/aibrix/sso?authorization_request="},
				Summary:  []string{"| SSO and org policy | ❌ fail |"}},
		},
		{
			Name: "GHES with rate limiting off passes an installation token",
			With: only(map[string]string{"token": Token("ghs_", "ghes"), "required-scopes": ""}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Token("ghs_", "ghes"), Account{NoScopes: true, Installation: true})
				gh.SetMode(ModeGHESNoRateLimit)
			},
			Want: StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "token-type": "installation"}},
		},
		{
			Name: "a classic PAT whose answer lost X-OAuth-Scopes fails closed",
			With: only(map[string]string{"token": Classic}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Classic, Account{Login: "aibrix-bot", NoScopes: true, Expiry: expires})
			},
			Want: StepWant{Code: 1, Errors: []string{"Scopes not verified"}, Outputs: map[string]string{"valid": "false"}},
		},
		{
			Name: "a captive portal is an unexpected answer",
			With: only(map[string]string{"token": Classic}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Classic, good)
				gh.SetMode(ModePortal)
			},
			Want: StepWant{Code: 1, Errors: []string{"Unexpected answer from api-url"}, Contains: []string{"validity is unknown, not bad"}},
		},
		{
			Name: "an empty api-url is the runner's own",
			With: only(map[string]string{"token": Classic, "api-url": ""}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Classic, good)
			},
			Want: StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "login": "aibrix-bot"}},
		},
		{
			Name: "a token service that quotes the credentials it received",
			With: func(reg string) map[string]string {
				return map[string]string{"token": Classic, "packages": reg + "/aibrix/runtime"}
			},
			Setup: func(gh *GitHub, reg *Registry) {
				gh.Add(Classic, good)
				reg.SetEcho(true)
			},
			Want: StepWant{Code: 1, Errors: []string{"Cannot push REGISTRY/aibrix/runtime"},
				Contains: []string{`received Authorization \"Basic ***\" for *** (***)`}},
		},
		{
			Name:  "a typo in the registry host sends nothing",
			With:  only(map[string]string{"token": Classic, "packages": "ghrc.io/aibrix/runtime"}),
			Setup: func(gh *GitHub, _ *Registry) { gh.Add(Classic, good) },
			Want:  StepWant{Code: 2, Errors: []string{"token-gate: bad input"}, Contains: []string{"ghrc.io is not ghcr.io"}},
		},
		{
			Name:  "a bare secret where a NAME=VALUE line was expected",
			With:  only(map[string]string{"tokens": "GOOD_TOKEN=" + Classic + "\n" + BareSecret}),
			Setup: none,
			Want:  StepWant{Code: 2, Errors: []string{"token-gate: bad input"}, Contains: []string{"line 2 is not NAME=VALUE"}},
		},
		{
			Name: "a 429 with a short Retry-After and quota left is waited out once",
			With: only(map[string]string{"token": Classic}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Classic, good)
				limited := TooManyRequests(1)
				gh.SetFault(func(w http.ResponseWriter, r *http.Request, attempt int) bool {
					return attempt == 1 && limited(w, r, attempt)
				})
			},
			Want: StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true"}},
		},
		{
			Name: "write:org satisfies read:org",
			With: only(map[string]string{"token": Classic, "required-scopes": "read:org"}),
			Setup: func(gh *GitHub, _ *Registry) {
				gh.Add(Classic, Account{Login: "aibrix-bot", Scopes: "write:org", Expiry: expires})
			},
			Want: StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "missing-scopes": ""}},
		},
		{
			Name:  "empty token, on-missing fail",
			With:  only(map[string]string{"token": ""}),
			Setup: none,
			Want: StepWant{Code: 1, Errors: []string{"Token is empty"},
				Outputs: map[string]string{"valid": "false", "token-type": "none"},
				Summary: []string{"❌ token-gate: `token` failed", "| Token present | ❌ fail | empty |"}},
		},
		{
			Name:  "empty token, on-missing warn",
			With:  only(map[string]string{"token": "", "on-missing": "warn"}),
			Setup: none,
			Want: StepWant{Code: 0, Errors: []string{}, Warnings: []string{"Token is empty"},
				Outputs: map[string]string{"valid": "false", "token-type": "none"},
				Summary: []string{"`token` not checked", "| Token present | ⚠️ warn | empty; on-missing: warn |"}},
		},
		{
			Name:  "empty token, on-missing skip",
			With:  only(map[string]string{"token": "", "on-missing": "skip"}),
			Setup: none,
			Want: StepWant{Code: 0, Errors: []string{}, Warnings: []string{}, Notices: []string{"Token is empty, check skipped"},
				Outputs: map[string]string{"valid": "false", "token-type": "none"},
				Summary: []string{"`token` not checked", "| Token present | ⏭️ skipped | empty; on-missing: skip |"}},
		},
		{
			Name: "token health with reminders",
			With: only(map[string]string{
				"tokens":   "DOCS_DEPLOY_TOKEN=" + Token("ghp_", "docs") + "\nHELM_CHARTS_TOKEN=" + Token("ghp_", "charts") + "\n",
				"reminder": "issue",
			}),
			Setup: func(gh *GitHub, _ *Registry) {
				githubToken := Contexts("")["github.token"]
				gh.Add(githubToken, Account{NoScopes: true, Installation: true})
				gh.Issues.Token = githubToken
				gh.Add(Token("ghp_", "docs"), good)
				// HELM_CHARTS_TOKEN is unknown to GitHub: revoked.
			},
			Want: StepWant{Code: 1, Errors: []string{"HELM_CHARTS_TOKEN: Token expired or revoked"},
				Outputs: map[string]string{"valid": "false", "login": "aibrix-bot",
					"reminders": `[{"name":"HELM_CHARTS_TOKEN","action":"opened","number":1,"url":"https://github.com/aibrix/aibrix/issues/1"}]`},
				Summary: []string{"## ❌ token-gate: 2 tokens, 1 failed", "| `HELM_CHARTS_TOKEN` | classic-pat |", "[#1](https://github.com/aibrix/aibrix/issues/1)"}},
		},
		{
			Name:  "bad input",
			With:  only(map[string]string{"token": Classic, "required-scopes": "write:package"}),
			Setup: none,
			Want: StepWant{Code: 2, Errors: []string{"token-gate: bad input"},
				Outputs:  map[string]string{"valid": "false", "token-type": "classic-pat"},
				Contains: []string{`Did you mean "write:packages"?`},
				Summary:  []string{"## ❌ token-gate: bad input", "Nothing was sent to GitHub."}},
		},
	}
}
