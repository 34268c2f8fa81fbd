package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

// binary is the token-gate built once for the process-level tests.
var binary string

func TestMain(m *testing.M) {
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

type processResult struct {
	code        int
	stdout      string
	stderr      string
	outputsRaw  string
	outputs     map[string]string
	summary     string
	annotations []fake.Annotation
}

// runProcess starts the built binary with exactly the environment the runner
// gives a container action, and nothing of this process's own environment
// but PATH.
func runProcess(t *testing.T, with map[string]string, contexts map[string]string) processResult {
	t.Helper()
	dir := t.TempDir()
	vars, err := fake.RunnerEnv("action.yml", with, contexts, dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	r := processResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	data, _ := os.ReadFile(vars["GITHUB_OUTPUT"])
	r.outputsRaw = string(data)
	if r.outputs, err = fake.ParseOutputs(r.outputsRaw); err != nil {
		t.Fatalf("outputs file: %v\n%s", err, r.outputsRaw)
	}
	data, _ = os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	r.summary = string(data)
	r.annotations = fake.ParseCommands(r.stdout)
	return r
}

func (r processResult) titles(kind string) []string {
	out := []string{}
	for _, a := range r.annotations {
		if a.Command == kind {
			out = append(out, a.Properties["title"])
		}
	}
	return out
}

// TestProcess runs the real binary as the runner runs the container: inputs
// as INPUT_<NAME> with hyphens kept and every default present, file commands
// in files, GITHUB_ACTIONS=true. It checks the exit status, the annotations,
// the outputs as the runner parses them and the summary, and scans every
// byte for the GitHub token and the registry's tokens.
func TestProcess(t *testing.T) {
	t.Parallel()
	expires := time.Now().Add(60 * 24 * time.Hour).UTC()
	tests := []struct {
		name     string
		with     func(reg string) map[string]string
		setup    func(gh *fake.GitHub, reg *fake.Registry)
		code     int
		outputs  map[string]string
		errors   []string
		warnings []string
		notices  []string
		summary  string
	}{
		{
			name: "passing classic token that can push",
			with: func(reg string) map[string]string {
				return map[string]string{"token": fake.Classic, "token-name": "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN", "required-scopes": "repo, write:packages", "packages": reg + "/aibrix/gateway-plugins"}
			},
			setup: func(gh *fake.GitHub, reg *fake.Registry) {
				gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: expires.Format("2006-01-02 15:04:05 MST")})
				reg.Accept(fake.Classic)
			},
			code:    0,
			outputs: map[string]string{"valid": "true", "token-type": "classic-pat", "login": "aibrix-bot", "scopes": "repo,write:packages", "missing-scopes": "", "days-remaining": "59", "not-pushable": ""},
			errors:  []string{}, warnings: []string{},
			summary: "✅ token-gate: `AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN` passed",
		},
		{
			name: "push denied",
			with: func(reg string) map[string]string {
				return map[string]string{"token": fake.Classic, "packages": reg + "/aibrix/runtime"}
			},
			setup: func(gh *fake.GitHub, reg *fake.Registry) {
				gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "write:packages", Expiry: expires.Format("2006-01-02 15:04:05 MST")})
				reg.Accept(fake.Classic)
				reg.Deny("aibrix/runtime", "permission_denied: write_package")
			},
			code:    1,
			outputs: map[string]string{"valid": "false", "pushable": ""},
		},
		{
			name:    "expired token",
			with:    func(string) map[string]string { return map[string]string{"token": fake.Classic} },
			setup:   func(*fake.GitHub, *fake.Registry) {},
			code:    1,
			outputs: map[string]string{"valid": "false", "token-type": "classic-pat", "expires-at": "", "days-remaining": ""},
			errors:  []string{"Token expired or revoked"},
			summary: "❌ token-gate: `token` failed",
		},
		{
			name:    "empty token, on-missing fail",
			with:    func(string) map[string]string { return map[string]string{"token": ""} },
			setup:   func(*fake.GitHub, *fake.Registry) {},
			code:    1,
			outputs: map[string]string{"valid": "false", "token-type": "none"},
			errors:  []string{"Token is empty"},
		},
		{
			name:    "empty token, on-missing warn",
			with:    func(string) map[string]string { return map[string]string{"token": "", "on-missing": "warn"} },
			setup:   func(*fake.GitHub, *fake.Registry) {},
			code:    0,
			outputs: map[string]string{"valid": "false", "token-type": "none"},
			errors:  []string{}, warnings: []string{"Token is empty"},
		},
		{
			name:    "empty token, on-missing skip",
			with:    func(string) map[string]string { return map[string]string{"token": "", "on-missing": "skip"} },
			setup:   func(*fake.GitHub, *fake.Registry) {},
			code:    0,
			outputs: map[string]string{"valid": "false", "token-type": "none"},
			errors:  []string{}, warnings: []string{}, notices: []string{"Token is empty, check skipped"},
		},
		{
			name:    "bad input",
			with:    func(string) map[string]string { return map[string]string{"token": fake.Classic, "required-scopes": "write:package"} },
			setup:   func(*fake.GitHub, *fake.Registry) {},
			code:    2,
			outputs: map[string]string{"valid": "false", "token-type": "classic-pat"},
			errors:  []string{"token-gate: bad input"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(t)
			reg := fake.NewRegistry(t)
			tc.setup(gh, reg)
			contexts := map[string]string{"github.api_url": gh.URL, "github.server_url": "https://github.com", "github.repository": "aibrix/aibrix", "github.token": fake.Token("ghs_", "actions")}
			r := runProcess(t, tc.with(reg.Host), contexts)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for k, v := range tc.outputs {
				if got, ok := r.outputs[k]; !ok || got != v {
					t.Errorf("output %s = %q (set %v), want %q", k, got, ok, v)
				}
			}
			for kind, want := range map[string][]string{"error": tc.errors, "warning": tc.warnings, "notice": tc.notices} {
				if want != nil && strings.Join(want, "|") != strings.Join(r.titles(kind), "|") {
					t.Errorf("%s annotations %q, want %q", kind, r.titles(kind), want)
				}
			}
			if !strings.Contains(r.summary, tc.summary) {
				t.Errorf("summary lacks %q:\n%s", tc.summary, r.summary)
			}
			if !strings.HasPrefix(r.stdout, "::add-mask::"+fake.Classic+"\n") && tc.with("")["token"] != "" {
				t.Errorf("the token is not masked first:\n%s", r.stdout)
			}
			all := strings.Join([]string{r.stdout, r.stderr, r.outputsRaw, r.summary}, "\n")
			secrets := append([]string{fake.Classic, fake.Token("ghs_", "actions")}, reg.Issued()...)
			if leaks := fake.Leaks(all, secrets...); len(leaks) > 0 {
				t.Errorf("secrets leaked: %v", leaks)
			}
		})
	}
}
