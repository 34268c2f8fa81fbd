package command

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
)

// TestPushProbe runs one case per rule of the push-rights probe against a
// fake registry that implements the challenge, checks Basic auth at its token
// service and the bearer token at its upload endpoint.
func TestPushProbe(t *testing.T) {
	t.Parallel()
	inst := fake.Token("ghs_", "inst")
	fine := fake.Token("github_pat_", "fine")
	refresh := fake.Token("ghr_", "refresh")
	good := fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(90 * 24 * time.Hour))}

	type want struct {
		code        int
		pushable    string
		notPushable string
		errors      []string
		contains    []string
		regRequests []string // METHOD PATH at the registry; nil skips
		ghRequests  []string // METHOD PATH at GitHub; nil skips
		summary     []string
	}
	tests := []struct {
		name   string
		tok    string
		images func(host string) string
		setup  func(e *env, tok string)
		want   func(host string) want
	}{
		{
			name: "202 proves push rights; tag and digest are ignored",
			tok:  fake.Classic,
			images: func(h string) string {
				return h + "/aibrix/gateway-plugins:v1.2.3, " + h + "/aibrix/controller-manager@sha256:abc123"
			},
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.reg.Accept(tok)
			},
			want: func(h string) want {
				return want{code: 0, pushable: h + "/aibrix/gateway-plugins," + h + "/aibrix/controller-manager", notPushable: "", errors: []string{},
					summary: []string{"| `" + h + "/aibrix/gateway-plugins` | ✅ pushable (upload accepted with 202) |"}}
			},
		},
		{
			name:   "403 DENIED at the upload quotes the registry and gives the fixes",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/gateway-plugins\n" + h + "/aibrix/runtime" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.gh.AddPackage("aibrix/runtime")
				e.reg.Accept(tok)
				e.reg.Deny("aibrix/runtime", "permission_denied: The token provided does not match expected scopes")
			},
			want: func(h string) want {
				return want{code: 1, pushable: h + "/aibrix/gateway-plugins", notPushable: h + "/aibrix/runtime", errors: []string{"Cannot push " + h + "/aibrix/runtime"},
					contains: []string{secretName + " may not push to " + h + "/aibrix/runtime", `answered 403 at the upload step: "permission_denied: The token provided does not match expected scopes"`,
						"The package exists and the account can read it, so the refusal is about write access", "write:packages", `"Manage access" at https://github.com/orgs/aibrix/packages/container/runtime/settings`},
					ghRequests: []string{"GET /api/v3/user", "GET /api/v3/users/aibrix", "GET /api/v3/orgs/aibrix/packages/container/runtime"}}
			},
		},
		{
			name:   "a refused image whose package does not exist yet: GitHub's 404 says what creating it needs",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/brand-new" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.reg.Accept(tok)
				e.reg.Deny("aibrix/brand-new", "permission_denied: write_package")
			},
			want: func(h string) want {
				return want{code: 1, notPushable: h + "/aibrix/brand-new", errors: []string{"Cannot push " + h + "/aibrix/brand-new"},
					contains: []string{"GitHub says the package does not exist or the account cannot see it (404", "the first push creates it", "allowed to create packages in aibrix", `"Manage access"`}}
			},
		},
		{
			name:   "an organization that forbids classic PATs: the policy, not the token, and the two ways out",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/runtime\n" + h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.gh.SetOrg("aibrix", fake.Org{ForbidsClassic: true})
				e.reg.Accept(tok)
				e.reg.Deny("aibrix/runtime", "permission_denied: write_package")
				e.reg.Deny("aibrix/gateway-plugins", "permission_denied: write_package")
			},
			want: func(h string) want {
				return want{code: 1, notPushable: h + "/aibrix/runtime," + h + "/aibrix/gateway-plugins",
					errors: []string{"Organization forbids classic tokens", "Cannot push " + h + "/aibrix/runtime", "Cannot push " + h + "/aibrix/gateway-plugins"},
					contains: []string{"aibrix forbids access via a personal access token (classic)", "not a fault of the token", "accepts no fine-grained token",
						"an owner of aibrix allows classic tokens", "GITHUB_TOKEN and `permissions: packages: write`"},
					// One answer covers the organization: one question for two images.
					ghRequests: []string{"GET /api/v3/user", "GET /api/v3/users/aibrix", "GET /api/v3/orgs/aibrix/packages/container/runtime"}}
			},
		},
		{
			name:   "an organization that caps token lifetime: the limit GitHub names",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/runtime" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.gh.SetOrg("aibrix", fake.Org{MaxLifetimeDays: 30})
				e.reg.Accept(tok)
				e.reg.Deny("aibrix/runtime", "permission_denied: write_package")
			},
			want: func(h string) want {
				return want{code: 1, notPushable: h + "/aibrix/runtime", errors: []string{"Token lifetime exceeds the organization's limit", "Cannot push " + h + "/aibrix/runtime"},
					contains: []string{"aibrix refuses " + secretName + " because it allows personal access tokens (classic) to live at most 30 days", "with an expiry of at most 30 days",
						"\"The 'aibrix' organization forbids access via a personal access tokens (classic) if the token's lifetime is greater than 30 days.\""},
					summary: []string{"| SSO and org policy | ❌ fail | a policy of aibrix refuses the token |"}}
			},
		},
		{
			name:   "when GitHub cannot be asked why, the refusal lists every cause in order",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/runtime" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				limited := fake.PrimaryRateLimit(http.StatusForbidden, now.Add(time.Hour))
				e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, attempt int) bool {
					return strings.Contains(r.URL.Path, "/packages/") && limited(w, r, attempt)
				})
				e.reg.Accept(tok)
				e.reg.Deny("aibrix/runtime", "permission_denied: The token provided does not match expected scopes")
			},
			want: func(h string) want {
				return want{code: 1, notPushable: h + "/aibrix/runtime", errors: []string{"Cannot push " + h + "/aibrix/runtime"},
					contains: []string{"Check, in order: the token has write:packages", "Manage access", "Configure SSO", "settings/tokens/new?scopes="},
					summary:  []string{"| SSO and org policy | ❔ unverified | GitHub could not be asked why the registry refused |"}}
			},
		},
		{
			name:   "images that all pass make no diagnosis request",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/runtime, " + h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.gh.SetOrg("aibrix", fake.Org{SSO: true})
				e.reg.Accept(tok)
			},
			want: func(h string) want {
				return want{code: 0, pushable: h + "/aibrix/runtime," + h + "/aibrix/gateway-plugins", errors: []string{},
					ghRequests: []string{"GET /api/v3/user"},
					summary:    []string{"| SSO and org policy | ✅ pass | every image accepted the token |"}}
			},
		},
		{
			name:   "401 at the token service means not pushable",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.reg.SetTokenStatus(http.StatusUnauthorized)
			},
			want: func(h string) want {
				return want{code: 1, pushable: "", notPushable: h + "/aibrix/gateway-plugins", errors: []string{"Cannot push " + h + "/aibrix/gateway-plugins"},
					contains:    []string{"answered 401 at the token step", "User cannot be authenticated with the token provided."},
					regRequests: []string{"GET /v2/", "GET /token"}}
			},
		},
		{
			name:   "5xx from the registry is unreachable, never not-pushable",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.reg.Accept(tok)
				e.reg.SetUploadStatus(http.StatusServiceUnavailable)
			},
			want: func(h string) want {
				return want{code: 1, pushable: "", notPushable: "", errors: []string{"Registry unreachable"},
					contains:    []string{"were not verified", "503 at the upload step"},
					regRequests: []string{"GET /v2/", "GET /token", "POST /v2/aibrix/gateway-plugins/blobs/uploads/", "POST /v2/aibrix/gateway-plugins/blobs/uploads/", "POST /v2/aibrix/gateway-plugins/blobs/uploads/"}}
			},
		},
		{
			name:   "a registry that refuses connections is unreachable, never not-pushable",
			tok:    fake.Classic,
			images: func(string) string { return "127.0.0.1:1/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
			},
			want: func(string) want {
				return want{code: 1, pushable: "", notPushable: "", errors: []string{"Registry unreachable"},
					contains: []string{"127.0.0.1:1 failed at the challenge step", "connection refused", "after 3 attempts"}}
			},
		},
		{
			name:   "429 from the registry is a rate limit",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.reg.Accept(tok)
				e.reg.SetUploadStatus(http.StatusTooManyRequests)
			},
			want: func(h string) want {
				return want{code: 1, pushable: "", notPushable: "", errors: []string{"Registry rate limit"},
					contains: []string{"A rate limit, not a bad token"}}
			},
		},
		{
			name:   "installation token is probed, and a denial names permissions and Manage Actions access",
			tok:    inst,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, fake.Account{NoScopes: true, Installation: true})
				e.gh.AddPackage("aibrix/gateway-plugins")
				e.reg.Accept(tok)
				e.reg.Deny("aibrix/gateway-plugins", "installation not allowed to Write organization package")
			},
			want: func(h string) want {
				return want{code: 1, notPushable: h + "/aibrix/gateway-plugins", errors: []string{"Cannot push " + h + "/aibrix/gateway-plugins"},
					contains: []string{"installation not allowed to Write organization package", "`permissions: packages: write`", `"Manage Actions access"`,
						"https://github.com/orgs/aibrix/packages/container/gateway-plugins/settings"}}
			},
		},
		{
			// The registry decides (docs/facts.md, "GitHub Packages"): today
			// ghcr.io refuses a fine-grained PAT at its token service, in
			// either of the words docker reports.
			name:   "fine-grained PAT is probed; ghcr.io refuses it (401): the kind error quotes the registry",
			tok:    fine,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, fake.Account{Login: "x", NoScopes: true})
			},
			want: func(h string) want {
				return want{code: 1, pushable: "", notPushable: h + "/aibrix/gateway-plugins", errors: []string{"Token kind not accepted by GitHub Packages", "Cannot push " + h + "/aibrix/gateway-plugins"},
					contains:    []string{"refused it too: \"unauthenticated: User cannot be authenticated with the token provided.\"", "\"GitHub Packages only supports authentication using a personal access token (classic)\""},
					regRequests: []string{"GET /v2/", "GET /token"}}
			},
		},
		{
			name:   "fine-grained PAT is probed; ghcr.io refuses it (403 denied)",
			tok:    fine,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, fake.Account{Login: "x", NoScopes: true})
				e.reg.SetRefusal("ghcr-token-denied-403")
			},
			want: func(h string) want {
				return want{code: 1, pushable: "", notPushable: h + "/aibrix/gateway-plugins", errors: []string{"Token kind not accepted by GitHub Packages", "Cannot push " + h + "/aibrix/gateway-plugins"},
					contains: []string{"refused it too: \"denied\""}, regRequests: []string{"GET /v2/", "GET /token"}}
			},
		},
		{
			// The day GitHub ships fine-grained tokens for Packages
			// (github/roadmap#558), the probe shows it and the gate passes.
			name:   "fine-grained PAT that the registry accepts passes, with a notice quoting the docs",
			tok:    fine,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, fake.Account{Login: "x", NoScopes: true})
				e.reg.Accept(tok)
			},
			want: func(h string) want {
				return want{code: 0, pushable: h + "/aibrix/gateway-plugins", notPushable: "", errors: []string{},
					contains:    []string{"\"GitHub Packages only supports authentication using a personal access token (classic)\"", "the registry decides"},
					regRequests: []string{"GET /v2/", "GET /token", "POST /v2/aibrix/gateway-plugins/blobs/uploads/"}}
			},
		},
		{
			name:   "refresh token fails before probing",
			tok:    refresh,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup:  func(e *env, tok string) {},
			want: func(h string) want {
				return want{code: 1, errors: []string{"Wrong kind of token"}, regRequests: []string{}}
			},
		},
		{
			name:   "a token GitHub refuses is not probed",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/gateway-plugins" },
			setup:  func(e *env, tok string) {},
			want: func(h string) want {
				return want{code: 1, errors: []string{"Token expired or revoked"}, regRequests: []string{}}
			},
		},
		{
			name:   "an image that does not exist yet: the registry's own answer is quoted",
			tok:    fake.Classic,
			images: func(h string) string { return h + "/aibrix/brand-new" },
			setup: func(e *env, tok string) {
				e.gh.Add(tok, good)
				e.reg.Accept(tok)
				e.reg.SetUploadStatus(http.StatusNotFound)
			},
			want: func(h string) want {
				return want{code: 1, pushable: "", notPushable: "", errors: []string{"Push rights not proven"},
					contains: []string{"answered 404 at the upload step", "permission_denied: write_package"}}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tc.setup(e, tc.tok)
			w := tc.want(e.reg.Host)
			r := e.runAction(t, map[string]string{"token": tc.tok, "token-name": secretName, "packages": tc.images(e.reg.Host)})
			if r.Code != w.code {
				t.Errorf("exit status = %d, want %d\n%s", r.Code, w.code, r.Stdout)
			}
			if r.Outputs["pushable"] != w.pushable || r.Outputs["not-pushable"] != w.notPushable {
				t.Errorf("pushable=%q not-pushable=%q; want %q, %q", r.Outputs["pushable"], r.Outputs["not-pushable"], w.pushable, w.notPushable)
			}
			if w.errors != nil {
				if diff := cmp.Diff(w.errors, r.Titles("error")); diff != "" {
					t.Errorf("errors (-want +got):\n%s\n%s", diff, r.Stdout)
				}
			}
			var msgs strings.Builder
			for _, a := range r.Annotations {
				msgs.WriteString(a.Message + "\n")
			}
			for _, s := range w.contains {
				if !strings.Contains(msgs.String(), s) {
					t.Errorf("no annotation says %q:\n%s", s, msgs.String())
				}
			}
			for _, s := range w.summary {
				if !strings.Contains(r.Summary, s) {
					t.Errorf("summary lacks %q:\n%s", s, r.Summary)
				}
			}
			if w.ghRequests != nil {
				if diff := cmp.Diff(w.ghRequests, paths(e.gh.Requests())); diff != "" {
					t.Errorf("GitHub requests (-want +got):\n%s", diff)
				}
			}
			if w.regRequests != nil {
				if diff := cmp.Diff(w.regRequests, paths(e.reg.Requests())); diff != "" {
					t.Errorf("registry requests (-want +got):\n%s", diff)
				}
			}
			secrets := append([]string{tc.tok}, e.reg.Issued()...)
			assertNoLeak(t, r, secrets...)
			// Every registry token is masked as soon as it arrives.
			for _, rt := range e.reg.Issued() {
				if !strings.Contains(r.Stdout, "::add-mask::"+rt+"\n") {
					t.Errorf("registry token %.8s… was not masked", rt)
				}
			}
		})
	}
}

// TestProbeRequests counts the requests per image: one challenge per registry,
// then a token request and an upload per image.
func TestProbeRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
	e.reg.Accept(fake.Classic)
	var imgs []string
	for i := range 3 {
		imgs = append(imgs, fmt.Sprintf("%s/aibrix/c%d", e.reg.Host, i))
	}
	r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": strings.Join(imgs, ",")})
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Stdout)
	}
	count := map[string]int{}
	for _, req := range e.reg.Requests() {
		count[req.Method+" "+strings.SplitN(req.Path, "/aibrix/", 2)[0]]++
	}
	want := map[string]int{"GET /v2/": 1, "GET /token": 3, "POST /v2": 3}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("registry requests (-want +got):\n%s", diff)
	}
	if n := len(e.gh.Requests()); n != 1 {
		t.Errorf("%d GitHub requests, want 1", n)
	}
	// The token service gets the token only as Basic auth, and the upload
	// only the registry's bearer token, never the GitHub token.
	for _, req := range e.reg.Requests() {
		switch {
		case req.Path == "/token" && !strings.HasPrefix(req.Auth, "Basic "):
			t.Errorf("token request without Basic auth: %q", req.Auth)
		case strings.HasSuffix(req.Path, "/uploads/") && (!strings.HasPrefix(req.Auth, "Bearer ") || strings.Contains(req.Auth, fake.Classic)):
			t.Errorf("upload not authorized with the registry token")
		case req.Path == "/v2/" && req.Auth != "":
			t.Errorf("the challenge request carried credentials")
		}
		if req.Path == "/token" && !strings.Contains(req.Query, "scope=repository%3Aaibrix%2Fc") {
			t.Errorf("token request scope: %s", req.Query)
		}
	}
}

// TestProbeConcurrency shows that probes overlap: eight images against a
// registry that delays each upload by 300 ms take well under 8 x 300 ms, and
// close to one image.
func TestProbeConcurrency(t *testing.T) {
	t.Parallel()
	probe := func(n int) (time.Duration, *env, result) {
		e := newEnv(t)
		e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
		e.reg.Accept(fake.Classic)
		e.reg.SetUploadDelay(300 * time.Millisecond)
		var imgs []string
		for i := range n {
			imgs = append(imgs, fmt.Sprintf("%s/aibrix/c%d", e.reg.Host, i))
		}
		start := time.Now()
		r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": strings.Join(imgs, "\n")})
		took := time.Since(start)
		if r.Code != 0 {
			t.Fatalf("exit %d\n%s", r.Code, r.Stdout)
		}
		if got := len(strings.Split(r.Outputs["pushable"], ",")); got != n {
			t.Errorf("pushable lists %d images, want %d: %q", got, n, r.Outputs["pushable"])
		}
		return took, e, r
	}
	one, _, _ := probe(1)
	eight, e, _ := probe(8)
	if m := e.reg.MaxInFlight(); m < 2 || m > 4 {
		t.Errorf("at most %d uploads were in flight at once; want between 2 and the bound of 4", m)
	}
	t.Logf("FIGURE push probe, 300 ms upload delay: 1 image %s, 8 images %s", one.Round(time.Millisecond), eight.Round(time.Millisecond))
}

// TestRealmOnAnotherHostGetsNoToken checks that a challenge pointing the token
// service at another host is refused: the token goes only to the registry
// named in packages.
func TestRealmOnAnotherHostGetsNoToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
	thief := fake.NewRegistry(t)
	e.reg.SetRealm("http://" + thief.Host + "/token")
	r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": e.reg.Host + "/aibrix/gateway"})
	if n := len(thief.Requests()); n != 0 {
		t.Fatalf("the other host received %d requests", n)
	}
	// The realm is the server's word, so it is quoted with its link broken.
	if r.Code != ExitFail || !strings.Contains(r.Stdout, "refused to send the token to http:\u200b//"+thief.Host) {
		t.Errorf("want a failure naming the refused host; exit %d\n%s", r.Code, r.Stdout)
	}
	if r.Outputs["not-pushable"] != "" {
		t.Errorf("an unverified image must not be listed as not-pushable: %q", r.Outputs["not-pushable"])
	}
	assertNoLeak(t, r, fake.Classic)
}

// TestRefusedProbeRequests counts what a refusal adds: one question to
// GitHub per owner about what it is, then one per owner when the answer
// covers the organization (SSO), one per refused image when it is about the
// package alone; nothing per pushable image.
func TestRefusedProbeRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		org    fake.Org
		github int // GET /user plus the diagnoses
	}{
		{"SSO: one question covers the organization", fake.Org{SSO: true}, 1 + 1 + 1},
		{"no organization rule: one question per refused image", fake.Org{}, 1 + 1 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
			e.gh.SetOrg("aibrix", tc.org)
			e.reg.Accept(fake.Classic)
			var imgs []string
			for i := range 5 {
				imgs = append(imgs, fmt.Sprintf("%s/aibrix/c%d", e.reg.Host, i))
				if i < 3 {
					e.reg.Deny(fmt.Sprintf("aibrix/c%d", i), "permission_denied: write_package")
				}
			}
			e.runAction(t, map[string]string{"token": fake.Classic, "packages": strings.Join(imgs, ",")})
			if n := len(e.gh.Requests()); n != tc.github {
				t.Errorf("%d GitHub requests, want %d: %q", n, tc.github, paths(e.gh.Requests()))
			}
			if n := len(e.reg.Requests()); n != 1+2*5 {
				t.Errorf("%d registry requests, want %d", n, 1+2*5)
			}
			t.Logf("FIGURE refused probe, 5 images, 3 refused, %s: %d GitHub + %d registry requests", tc.name, len(e.gh.Requests()), len(e.reg.Requests()))
		})
	}
}

// TestDiagnosis401CoversTheRun: once a question about a refused image is
// answered 401, no further question is asked, for that owner or any other:
// GitHub locks out repeated bad credentials (docs/facts.md, "Error
// answers"). Twenty refused images under three owners cost one question.
func TestDiagnosis401CoversTheRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "x", Scopes: "write:packages"})
	e.gh.SetOrg("team-a", fake.Org{})
	e.gh.SetOrg("team-b", fake.Org{})
	// The token works for GET /user, then GitHub refuses it: revoked in
	// between, as a rotation can do mid-run.
	e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Path == "/api/v3/user" {
			return false
		}
		fake.Recorded("bad-credentials-401").Write(w)
		return true
	})
	e.reg.Accept(fake.Classic)
	var imgs []string
	for i := range 20 {
		owner := []string{"aibrix", "team-a", "team-b"}[i%3]
		imgs = append(imgs, fmt.Sprintf("%s/%s/c%d", e.reg.Host, owner, i))
		e.reg.Deny(fmt.Sprintf("%s/c%d", owner, i), "permission_denied: write_package")
	}
	r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": strings.Join(imgs, ",")})
	if got := paths(e.gh.Requests()); len(got) != 2 {
		t.Errorf("GitHub was asked %d times after the 401, want once: %q", len(got)-1, got)
	}
	if r.Code != ExitFail || len(r.Titles("error")) == 0 {
		t.Errorf("exit %d, errors %q", r.Code, r.Titles("error"))
	}
	t.Logf("FIGURE 20 refused images under 3 owners, diagnosis answered 401: %d GitHub requests", len(e.gh.Requests()))
}

// TestDiagnosisByOwner runs the refusals whose cause depends on who owns the
// namespace, through the whole program: someone else's personal namespace,
// an organization whose SSO answers 404, and a GitHub App's token.
func TestDiagnosisByOwner(t *testing.T) {
	t.Parallel()
	t.Run("another user's namespace", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "write:packages"})
		e.gh.AddUser("someoneelse")
		e.reg.Accept(fake.Classic)
		e.reg.Deny("someoneelse/tool", "permission_denied: write_package")
		r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": e.reg.Host + "/someoneelse/tool"})
		want := []string{"GET /api/v3/user", "GET /api/v3/users/someoneelse", "GET /api/v3/users/someoneelse/packages/container/tool"}
		if diff := cmp.Diff(want, paths(e.gh.Requests())); diff != "" {
			t.Errorf("GitHub requests (-want +got):\n%s", diff)
		}
		msgs := r.Messages()
		if !strings.Contains(msgs, "personal namespace of the user someoneelse, not of aibrix-bot") || strings.Contains(msgs, "the first push creates it") {
			t.Errorf("the refusal does not say whose namespace it is:\n%s", msgs)
		}
	})
	t.Run("SSO answering 404 is not ruled out", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "write:packages"})
		e.gh.SetOrg("aibrix", fake.Org{SSO: true, SSOAnswers404: true})
		e.reg.Accept(fake.Classic)
		e.reg.Deny("aibrix/runtime", "permission_denied: write_package")
		r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": e.reg.Host + "/aibrix/runtime"})
		if !strings.Contains(r.Messages(), "GitHub also answers 404 when aibrix enforces SAML single sign-on") ||
			!strings.Contains(r.Summary, "| SSO and org policy | ❔ unverified | not ruled out") {
			t.Errorf("SSO is not named as a possible cause:\n%s\n%s", r.Messages(), r.Summary)
		}
	})
	t.Run("a GitHub App's installation token", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		appToken := fake.Token("ghs_", "someapp")
		e.gh.Add(appToken, fake.Account{NoScopes: true, Installation: true})
		e.gh.AddPackage("aibrix/runtime")
		e.reg.Accept(appToken)
		e.reg.Deny("aibrix/runtime", "permission_denied: installation not allowed to Write organization package")
		r := e.runAction(t, map[string]string{"token": appToken, "token-name": "APP_TOKEN", "required-scopes": "", "packages": e.reg.Host + "/aibrix/runtime"})
		msgs := r.Messages()
		if !strings.Contains(msgs, "APP_TOKEN is not the token in `github-token`. If `github-token` keeps its default, this job's GITHUB_TOKEN, APP_TOKEN is a GitHub App's installation token") ||
			!strings.Contains(msgs, "GHCR refuses GitHub App tokens on organization packages") {
			t.Errorf("an App token is not told GHCR's rule on App tokens:\n%s", msgs)
		}
	})
	// The job's own GITHUB_TOKEN checked while github-token holds another
	// token (a PAT that writes the reminders): never called an App's.
	t.Run("the job's GITHUB_TOKEN while github-token holds a PAT", func(t *testing.T) {
		t.Parallel()
		e := healthEnv(t)
		jobToken := e.contexts["github.token"]
		issuesPAT := fake.Token("ghp_", "issues")
		e.gh.Add(issuesPAT, fake.Account{Login: "issues-bot", Scopes: "repo"})
		e.gh.Issues.Token = issuesPAT
		e.gh.AddPackage("aibrix/runtime")
		e.reg.Accept(jobToken)
		e.reg.Deny("aibrix/runtime", "permission_denied: installation not allowed to Write organization package")
		r := e.runAction(t, map[string]string{"token": jobToken, "token-name": "GITHUB_TOKEN", "github-token": issuesPAT, "reminder": "issue",
			"required-scopes": "", "packages": e.reg.Host + "/aibrix/runtime"})
		msgs := r.Messages()
		if strings.Contains(msgs, "not this job's GITHUB_TOKEN") || strings.Contains(msgs, "is not the token in") || strings.Contains(msgs, "GITHUB_TOKEN is a GitHub App") ||
			!strings.Contains(msgs, "If this is a workflow's GITHUB_TOKEN: The package exists") {
			t.Errorf("the job's own token is called an App's:\n%s", msgs)
		}
		if open := e.gh.Issues.Open(); len(open) != 1 || strings.Contains(open[0].Body, "not this job's GITHUB_TOKEN") {
			t.Errorf("the reminder: %+v", open)
		}
	})
}
