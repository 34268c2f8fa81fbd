package command

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/token-gate/token-gate/internal/fake"
)

const (
	dockerUser = "dockerhub-user"
	dockerPAT  = "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"
)

// dockerHubEnv serves GitHub as api.github.com and a Docker-Hub-shaped
// registry as registry-1.docker.io with its token service on auth.docker.io,
// over TLS through a CONNECT proxy, so the real host names and the known-pair
// rule are what is tested.
func dockerHubEnv(t *testing.T) (*env, *fake.Internet) {
	e := newEnv(t)
	in := fake.NewInternet(t)
	in.ServeGitHub(e.gh)
	in.ServeDockerHub(e.reg)
	e.transport = in.Transport()
	e.contexts["github.api_url"] = "https://api.github.com"
	return e, in
}

func hostPaths(reqs []fake.Request) []string {
	out := []string{}
	for _, r := range reqs {
		q := ""
		if r.Query != "" {
			q = "?" + r.Query
		}
		out = append(out, r.Method+" "+r.Host+r.Path+q)
	}
	return out
}

func TestDockerHub(t *testing.T) {
	t.Parallel()
	dockerWith := func(extra map[string]string) map[string]string {
		with := map[string]string{"registry": "docker.io", "username": dockerUser, "token": dockerPAT, "token-name": "DOCKER_HUB_ACCESS_TOKEN", "packages": "aibrix/runtime, docker.io/aibrix/gateway-plugins"}
		for k, v := range extra {
			with[k] = v
		}
		return with
	}
	tests := []struct {
		name     string
		with     map[string]string
		setup    func(e *env, in *fake.Internet)
		code     int
		errors   []string
		notices  []string
		says     []string
		outputs  map[string]string
		requests []string // METHOD HOST PATH?QUERY at Docker Hub; nil skips
	}{
		{
			name:  "a passing Docker Hub step asks GitHub nothing",
			with:  dockerWith(nil),
			setup: func(e *env, _ *fake.Internet) { e.reg.AcceptUser(dockerUser, dockerPAT) },
			code:  0, errors: []string{}, notices: []string{"Expiry not visible"},
			outputs: map[string]string{"valid": "true", "token-type": "docker-hub-pat", "login": dockerUser, "scopes": "", "expires-at": "",
				"pushable": "docker.io/aibrix/runtime,docker.io/aibrix/gateway-plugins", "not-pushable": ""},
			says: []string{"weekly schedule with reminder: issue"},
			requests: []string{
				"GET registry-1.docker.io/v2/",
				"GET auth.docker.io/token?service=registry.docker.io",
				"GET auth.docker.io/token?scope=repository%3Aaibrix%2Fruntime%3Apull%2Cpush&service=registry.docker.io",
				"POST registry-1.docker.io/v2/aibrix/runtime/blobs/uploads/",
				"GET auth.docker.io/token?scope=repository%3Aaibrix%2Fgateway-plugins%3Apull%2Cpush&service=registry.docker.io",
				"POST registry-1.docker.io/v2/aibrix/gateway-plugins/blobs/uploads/",
			},
		},
		{
			name: "an image the account may not push to",
			with: dockerWith(nil),
			setup: func(e *env, _ *fake.Internet) {
				e.reg.AcceptUser(dockerUser, dockerPAT)
				e.reg.Deny("aibrix/runtime", "requested access to the resource is denied")
			},
			code: 1, errors: []string{"Cannot push docker.io/aibrix/runtime"},
			outputs: map[string]string{"not-pushable": "docker.io/aibrix/runtime", "pushable": "docker.io/aibrix/gateway-plugins"},
			says:    []string{"requested access to the resource is denied", "Read & Write", "dockerhub-user may push to aibrix/runtime on Docker Hub"},
		},
		{
			name:  "bad credentials at the token service: refused, images not probed",
			with:  dockerWith(nil),
			setup: func(e *env, _ *fake.Internet) { e.reg.AcceptUser("someone-else", dockerPAT) },
			code:  1, errors: []string{"Registry credentials refused"},
			outputs:  map[string]string{"valid": "false", "login": "", "pushable": "", "not-pushable": ""},
			says:     []string{"DOCKER_HUB_ACCESS_TOKEN for the user dockerhub-user was refused", "Docker ID (not the e-mail address)", "https://app.docker.com/settings/personal-access-tokens", "update the secret DOCKER_HUB_ACCESS_TOKEN"},
			requests: []string{"GET registry-1.docker.io/v2/", "GET auth.docker.io/token?service=registry.docker.io"},
		},
		{
			name: "a refusal worded {\"details\": ...} is quoted",
			with: dockerWith(map[string]string{"packages": ""}),
			setup: func(e *env, _ *fake.Internet) {
				e.reg.SetRefusal("dockerhub-token-401-details")
			},
			code: 1, errors: []string{"Registry credentials refused"}, says: []string{`"incorrect username or password"`},
		},
		{
			name:  "a refusal with no body is still a refusal",
			with:  dockerWith(map[string]string{"packages": ""}),
			setup: func(e *env, _ *fake.Internet) { e.reg.SetRefusal("empty") },
			code:  1, errors: []string{"Registry credentials refused"},
		},
		{
			name: "a token service that is down is no verdict on the token",
			with: dockerWith(nil),
			setup: func(e *env, _ *fake.Internet) {
				e.reg.AcceptUser(dockerUser, dockerPAT)
				e.reg.SetTokenStatus(http.StatusServiceUnavailable)
			},
			code: 1, errors: []string{"Registry unreachable"}, says: []string{"says nothing about the token"},
		},
		{
			name: "a realm on an unknown other host gets nothing",
			with: dockerWith(nil),
			setup: func(e *env, in *fake.Internet) {
				e.reg.AcceptUser(dockerUser, dockerPAT)
				e.reg.SetRealm("https://auth.evil.example/token")
				in.Serve("auth.evil.example", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("the other host was sent %s", r.URL) }))
			},
			code: 1, errors: []string{"Unexpected answer from the registry"},
			says:     []string{"refused to send the token to https:\u200b//auth.evil.example"},
			requests: []string{"GET registry-1.docker.io/v2/"},
		},
		{
			name:  "a GitHub token with registry docker.io is refused before anything is sent",
			with:  dockerWith(map[string]string{"token": fake.Classic}),
			setup: func(*env, *fake.Internet) {},
			code:  2, errors: []string{"token-gate: bad input"},
			says:     []string{"is a GitHub token (ghp_…), but registry is docker.io", "never sent to another registry"},
			requests: []string{},
		},
		{
			name:  "a Docker Hub token without registry is never sent to GitHub",
			with:  map[string]string{"token": dockerPAT},
			setup: func(*env, *fake.Internet) {},
			code:  2, errors: []string{"token-gate: bad input"}, says: []string{"is a Docker Hub token (dckr_pat_…)", "Set `registry` to docker.io"},
		},
		{
			name:  "username is required",
			with:  dockerWith(map[string]string{"username": ""}),
			setup: func(*env, *fake.Internet) {},
			code:  2, says: []string{"input `username`", "needs the account name"}, requests: []string{},
		},
		{
			name:  "an image on another registry is refused",
			with:  dockerWith(map[string]string{"packages": "ghcr.io/aibrix/runtime"}),
			setup: func(*env, *fake.Internet) {},
			code:  2, says: []string{"ghcr.io is not docker.io", "sent only to the registry it belongs to"}, requests: []string{},
		},
		{
			name:  "required-scopes set for a registry credential: one notice",
			with:  dockerWith(map[string]string{"packages": "", "required-scopes": "repo"}),
			setup: func(e *env, _ *fake.Internet) { e.reg.AcceptUser(dockerUser, dockerPAT) },
			code:  0, notices: []string{"required-scopes not applied", "Expiry not visible"},
		},
		{
			name:  "an organization access token",
			with:  dockerWith(map[string]string{"packages": "", "token": "dckr_oat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"}),
			setup: func(e *env, _ *fake.Internet) { e.reg.AcceptUser(dockerUser, "dckr_oat_xxxxxxxxxxxxxxxxxxxxxxxxxxx") },
			code:  0, outputs: map[string]string{"token-type": "docker-hub-oat"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, in := dockerHubEnv(t)
			tc.setup(e, in)
			r := e.runAction(t, tc.with)
			if r.Code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.Code, tc.code, r.Stdout)
			}
			if n := len(e.gh.Requests()); n != 0 {
				t.Errorf("%d requests reached GitHub; a registry credential asks GitHub nothing", n)
			}
			for kind, want := range map[string][]string{"error": tc.errors, "notice": tc.notices} {
				if want != nil {
					if diff := cmp.Diff(want, r.Titles(kind)); diff != "" {
						t.Errorf("%s annotations (-want +got):\n%s\n%s", kind, diff, r.Stdout)
					}
				}
			}
			for k, v := range tc.outputs {
				if r.Outputs[k] != v {
					t.Errorf("output %s = %q, want %q", k, r.Outputs[k], v)
				}
			}
			for _, s := range tc.says {
				if !strings.Contains(r.Messages(), s) {
					t.Errorf("no annotation says %q:\n%s", s, r.Messages())
				}
			}
			if tc.requests != nil {
				// Images are probed concurrently: the order is not the
				// contract, the set is.
				sorted := cmpopts.SortSlices(func(a, b string) bool { return a < b })
				if diff := cmp.Diff(tc.requests, hostPaths(e.reg.Requests()), sorted); diff != "" {
					t.Errorf("requests at Docker Hub (-want +got):\n%s", diff)
				}
			}
			for _, tunnel := range in.Tunnels() {
				if tunnel != "registry-1.docker.io:443" && tunnel != "auth.docker.io:443" {
					t.Errorf("the proxy was asked for %s", tunnel)
				}
			}
			if leaks := fake.Leaks(r.All(), dockerPAT, "dckr_oat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"); len(leaks) > 0 {
				t.Errorf("leaked: %v", leaks)
			}
		})
	}
}
