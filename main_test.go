package main

import (
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

// binary is the token-gate built once for the process-level tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// go test -short is the quick loop: the process-level tests, which
		// need the built binary, skip themselves (needBinary).
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "token-gate-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "token-gate")
	build := exec.Command("go", "build", "-trimpath", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building token-gate: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBinary skips a process-level test under -short, where the binary is
// not built.
func needBinary(t *testing.T) {
	t.Helper()
	if binary == "" {
		t.Skip("-short: the process-level tests run in the full suite")
	}
}

// runProcess starts the built binary with exactly the environment the runner
// gives a container action, and nothing of this process's own environment
// but PATH.
func runProcess(t *testing.T, with map[string]string, contexts map[string]string) fake.Step {
	t.Helper()
	return runProcessWith(t, with, contexts)
}

// runProcessWith is runProcess with more variables, such as a proxy.
func runProcessWith(t *testing.T, with map[string]string, contexts map[string]string, extra ...string) fake.Step {
	t.Helper()
	dir := t.TempDir()
	vars, err := fake.RunnerEnv("action.yml", with, contexts, dir)
	if err != nil {
		t.Fatal(err)
	}
	needBinary(t)
	cmd := exec.Command(binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, extra...)
	step, err := fake.RunStep(cmd, vars["GITHUB_OUTPUT"], vars["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	return step
}

// TestProcess runs the real binary as the runner runs the container: inputs
// as INPUT_<NAME> with hyphens kept and every default present, file commands
// in files, GITHUB_ACTIONS=true. It checks the exit status, the annotations,
// the outputs as the runner parses them and the summary, and scans every
// byte for the GitHub tokens and the registry's tokens.
func TestProcess(t *testing.T) {
	t.Parallel()
	expires := time.Now().Add(60 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")
	for _, sc := range fake.Scenarios(expires) {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(t)
			reg := fake.NewRegistry(t)
			sc.Setup(gh, reg)
			contexts := fake.Contexts(gh.URL)
			r := runProcess(t, sc.With(reg.Host), contexts)
			for _, p := range r.Check(sc.Want.For(reg.Host)) {
				t.Error(p)
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
			}
			if tok := sc.With(reg.Host)["token"]; tok != "" && !strings.HasPrefix(r.Stdout, "::add-mask::"+tok+"\n") {
				t.Errorf("the token is not masked first:\n%s", r.Stdout)
			}
			if leaks := fake.StepLeaks(r, gh, reg, sc.With(reg.Host), contexts); len(leaks) > 0 {
				t.Errorf("secrets leaked: %v", leaks)
			}
		})
	}
}

// TestProcessRealHosts runs the binary against api.github.com, ghcr.io and
// Docker Hub by their real names, over TLS, through a CONNECT proxy on
// 127.0.0.1 (HTTPS_PROXY) with the fakes' CA (SSL_CERT_FILE): the way a
// self-hosted runner behind a corporate proxy reaches them.
func TestProcessRealHosts(t *testing.T) {
	t.Parallel()
	const (
		user = "dockerhub-user"
		pat  = "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"
		oat  = "dckr_oat_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	)
	good := fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: time.Now().Add(60 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")}
	tests := []struct {
		name    string
		with    map[string]string
		setup   func(gh *fake.GitHub, ghcr, hub *fake.Registry, in *fake.Internet)
		want    fake.StepWant
		tunnels []string
	}{
		{
			name: "a GitHub token: api.github.com and ghcr.io",
			with: map[string]string{"token": fake.Classic, "packages": "aibrix/runtime"},
			setup: func(gh *fake.GitHub, ghcr, _ *fake.Registry, _ *fake.Internet) {
				gh.Add(fake.Classic, good)
				ghcr.Accept(fake.Classic)
			},
			want:    fake.StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "pushable": "ghcr.io/aibrix/runtime"}},
			tunnels: []string{"api.github.com:443", "ghcr.io:443"},
		},
		{
			name: "a passing Docker Hub step asks GitHub nothing",
			with: map[string]string{"registry": "docker.io", "username": user, "token": pat, "packages": "aibrix/runtime"},
			setup: func(_ *fake.GitHub, _, hub *fake.Registry, _ *fake.Internet) {
				hub.AcceptUser(user, pat)
			},
			want:    fake.StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "token-type": "docker-hub-pat", "login": user, "pushable": "docker.io/aibrix/runtime"}},
			tunnels: []string{"auth.docker.io:443", "registry-1.docker.io:443"},
		},
		{
			name: "a refused Docker Hub image",
			with: map[string]string{"registry": "docker.io", "username": user, "token": pat, "packages": "aibrix/runtime"},
			setup: func(_ *fake.GitHub, _, hub *fake.Registry, _ *fake.Internet) {
				hub.AcceptUser(user, pat)
				hub.Deny("aibrix/runtime", "requested access to the resource is denied")
			},
			want:    fake.StepWant{Code: 1, Errors: []string{"Cannot push docker.io/aibrix/runtime"}, Outputs: map[string]string{"not-pushable": "docker.io/aibrix/runtime"}},
			tunnels: []string{"auth.docker.io:443", "registry-1.docker.io:443"},
		},
		{
			name:    "bad Docker Hub credentials",
			with:    map[string]string{"registry": "docker.io", "username": user, "token": pat, "packages": "aibrix/runtime"},
			setup:   func(*fake.GitHub, *fake.Registry, *fake.Registry, *fake.Internet) {},
			want:    fake.StepWant{Code: 1, Errors: []string{"Registry credentials refused"}, Outputs: map[string]string{"valid": "false"}},
			tunnels: []string{"auth.docker.io:443", "registry-1.docker.io:443"},
		},
		{
			name: "a realm on an unknown other host: refused, nothing sent there",
			with: map[string]string{"registry": "docker.io", "username": user, "token": pat},
			setup: func(_ *fake.GitHub, _, hub *fake.Registry, in *fake.Internet) {
				hub.AcceptUser(user, pat)
				hub.SetRealm("https://auth.evil.example/token")
			},
			want:    fake.StepWant{Code: 1, Errors: []string{"Unexpected answer from the registry"}, Contains: []string{"refused to send the token to https:\u200b//auth.evil.example"}},
			tunnels: []string{"registry-1.docker.io:443"},
		},
		{
			// Docker Hub's key in config.json, as people paste it.
			name: "registry https://index.docker.io/v1/ is Docker Hub",
			with: map[string]string{"registry": "https://index.docker.io/v1/", "username": user, "token": pat, "packages": "aibrix/runtime"},
			setup: func(_ *fake.GitHub, _, hub *fake.Registry, _ *fake.Internet) {
				hub.AcceptUser(user, pat)
			},
			want:    fake.StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "pushable": "docker.io/aibrix/runtime"}},
			tunnels: []string{"auth.docker.io:443", "registry-1.docker.io:443"},
		},
		{
			name: "a read-only Docker Hub PAT: refused a push token, told why",
			with: map[string]string{"registry": "docker.io", "username": user, "token": pat, "packages": "aibrix/runtime"},
			setup: func(_ *fake.GitHub, _, hub *fake.Registry, _ *fake.Internet) {
				hub.AcceptReadOnly(user, pat)
			},
			want: fake.StepWant{Code: 1, Errors: []string{"Cannot push docker.io/aibrix/runtime"}, Outputs: map[string]string{"not-pushable": "docker.io/aibrix/runtime"},
				Contains: []string{`"access token has insufficient scopes"`, "the access token cannot write (a Repo Read-only or Repo Public Read-only token)"}},
			tunnels: []string{"auth.docker.io:443", "registry-1.docker.io:443"},
		},
		{
			name: "the failed-login lockout: quoted, and some job has a wrong credential",
			with: map[string]string{"registry": "docker.io", "username": user, "token": pat, "packages": "aibrix/runtime"},
			setup: func(_ *fake.GitHub, _, hub *fake.Registry, _ *fake.Internet) {
				hub.SetRefusal("dockerhub-token-429-lockout")
			},
			want: fake.StepWant{Code: 1, Errors: []string{"Registry locked the account out"},
				Contains: []string{`"too many failed login attempts for username or IP address"`, "some job or machine is using a wrong credential for the account " + user}},
			tunnels: []string{"auth.docker.io:443", "registry-1.docker.io:443"},
		},
		{
			name: "an organization access token refused: the organization's name and settings",
			with: map[string]string{"registry": "docker.io", "username": "aibrix", "token": oat, "packages": "aibrix/runtime"},
			setup: func(_ *fake.GitHub, _, hub *fake.Registry, _ *fake.Internet) {
				hub.SetRefusal("dockerhub-token-401-details")
			},
			want: fake.StepWant{Code: 1, Errors: []string{"Registry credentials refused"}, Outputs: map[string]string{"token-type": "docker-hub-oat"},
				Contains: []string{"logs in as the organization's name, not a person's Docker ID", "organization's own settings", `"Repository Create"`}},
			tunnels: []string{"auth.docker.io:443", "registry-1.docker.io:443"},
		},
		{
			// GHE.com: the registry is containers.SUBDOMAIN.ghe.com, not
			// containers.api.SUBDOMAIN.ghe.com (docs/facts.md, "GHE.com").
			name: "on GHE.com, OWNER/NAME is containers.SUBDOMAIN.ghe.com",
			with: map[string]string{"token": fake.Classic, "packages": "aibrix/runtime", "api-url": "https://api.octocorp.ghe.com"},
			setup: func(gh *fake.GitHub, ghcr, _ *fake.Registry, in *fake.Internet) {
				gh.Add(fake.Classic, good)
				ghcr.Accept(fake.Classic)
				in.Serve("api.octocorp.ghe.com", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.URL.Path = "/api/v3" + r.URL.Path // the fake lives under /api/v3
					gh.Server.Config.Handler.ServeHTTP(w, r)
				}))
				in.Serve("containers.octocorp.ghe.com", ghcr.Server.Config.Handler)
			},
			want:    fake.StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "pushable": "containers.octocorp.ghe.com/aibrix/runtime"}},
			tunnels: []string{"api.octocorp.ghe.com:443", "containers.octocorp.ghe.com:443"},
		},
		{
			name: "on GHES, OWNER/NAME is containers.HOST, and the token goes nowhere else",
			with: map[string]string{"token": fake.Classic, "packages": "aibrix/runtime", "api-url": "https://ghe.example.com/api/v3"},
			setup: func(gh *fake.GitHub, ghcr, _ *fake.Registry, in *fake.Internet) {
				gh.Add(fake.Classic, good)
				ghcr.Accept(fake.Classic)
				in.Serve("ghe.example.com", gh.Server.Config.Handler)
				in.Serve("containers.ghe.example.com", ghcr.Server.Config.Handler)
			},
			want:    fake.StepWant{Code: 0, Errors: []string{}, Outputs: map[string]string{"valid": "true", "pushable": "containers.ghe.example.com/aibrix/runtime"}},
			tunnels: []string{"containers.ghe.example.com:443", "ghe.example.com:443"},
		},
		{
			name:    "a GitHub token with registry docker.io: a clear error, nothing sent",
			with:    map[string]string{"registry": "docker.io", "username": user, "token": fake.Classic},
			setup:   func(*fake.GitHub, *fake.Registry, *fake.Registry, *fake.Internet) {},
			want:    fake.StepWant{Code: 2, Errors: []string{"token-gate: bad input"}, Contains: []string{"is a GitHub token (ghp_…)"}},
			tunnels: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := fake.NewInternet(t)
			gh, ghcr, hub := fake.NewGitHub(t), fake.NewRegistry(t), fake.NewRegistry(t)
			in.ServeGitHub(gh)
			in.Serve("ghcr.io", ghcr.Server.Config.Handler)
			in.ServeDockerHub(hub)
			tc.setup(gh, ghcr, hub, in)
			contexts := fake.Contexts("https://api.github.com")
			r := runProcessWith(t, tc.with, contexts, "HTTPS_PROXY="+in.ProxyURL, "SSL_CERT_FILE="+in.CAFile)
			for _, p := range r.Check(tc.want) {
				t.Error(p)
			}
			tunnels := map[string]bool{}
			for _, h := range in.Tunnels() {
				tunnels[h] = true
			}
			var got []string
			for h := range tunnels {
				got = append(got, h)
			}
			slices.Sort(got)
			if tc.tunnels != nil && !slices.Equal(got, tc.tunnels) {
				t.Errorf("hosts reached through the proxy: %q, want %q", got, tc.tunnels)
			}
			if leaks := fake.Leaks(r.All(), fake.Classic, pat, oat, contexts["github.token"]); len(leaks) > 0 {
				t.Errorf("leaked: %v", leaks)
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
			}
		})
	}
}
