package main

import (
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

// runProcess starts the built binary with exactly the environment the runner
// gives a container action, and nothing of this process's own environment
// but PATH.
func runProcess(t *testing.T, with map[string]string, contexts map[string]string) fake.Step {
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
			if leaks := fake.StepLeaks(r, gh, reg, contexts); len(leaks) > 0 {
				t.Errorf("secrets leaked: %v", leaks)
			}
		})
	}
}
