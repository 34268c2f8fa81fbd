package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/fake"
)

// Two token-gate steps in one job (as --fix writes the pre-flight): the
// first annotates the audit's findings and says so in GITHUB_ENV; the
// second, which the runner gives that variable, annotates none of them,
// names the first in its summary, and still fails on its own audit: fail.
func TestAuditAnnotatedOncePerJob(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	envFile := filepath.Join(t.TempDir(), "set_env")
	if err := os.WriteFile(envFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	placed := func(r result) int {
		n := 0
		for _, a := range r.Annotations {
			if a.Properties["file"] != "" {
				n++
			}
		}
		return n
	}
	jobEnv := func() map[string]string {
		data, err := os.ReadFile(envFile)
		if err != nil {
			t.Fatal(err)
		}
		vars, err := fake.ParseOutputs(string(data))
		if err != nil {
			t.Fatalf("GITHUB_ENV does not parse as the runner parses it: %v\n%s", err, data)
		}
		return vars
	}

	first := e.runActionWith(t, with, map[string]string{"GITHUB_ENV": envFile, "GITHUB_ACTION": "preflight-ghcr"})
	if placed(first) != 6 || first.Code != ExitPass || !strings.Contains(first.Summary, "<details><summary>Fix:") {
		t.Fatalf("the first step: exit %d, %d annotations on the workflow\n%s", first.Code, placed(first), first.Summary)
	}
	later := jobEnv()
	if later[auditShownEnv] != "preflight-ghcr" || len(later) != 1 {
		t.Fatalf("GITHUB_ENV after the first step: %q", later)
	}

	later["GITHUB_ENV"], later["GITHUB_ACTION"] = envFile, "__token-gate_token-gate"
	second := e.runActionWith(t, with, later)
	if n := placed(second); n != 0 || second.Code != ExitPass {
		t.Errorf("the second step: exit %d, %d annotations on the workflow", second.Code, n)
	}
	for _, want := range []string{"### Workflow audit", "1 error, 4 warnings, 1 notice (audit: warn", "Its findings are annotated and listed once, by the step `preflight-ghcr`, earlier in this job."} {
		if !strings.Contains(second.Summary, want) {
			t.Errorf("the second summary lacks %q:\n%s", want, second.Summary)
		}
	}
	if strings.Contains(second.Summary, "<details>") || strings.Contains(second.Summary, "| Push credential |") {
		t.Errorf("the second summary lists the findings again:\n%s", second.Summary)
	}
	if got := jobEnv(); len(got) != 1 || got[auditShownEnv] != "preflight-ghcr" {
		t.Errorf("the second step wrote GITHUB_ENV again: %q", got)
	}

	// Its own audit: fail still fails it on the errors the first showed.
	failing := map[string]string{}
	for k, v := range with {
		failing[k] = v
	}
	failing["audit"] = "fail"
	if r := e.runActionWith(t, failing, later); r.Code != ExitFail || placed(r) != 0 {
		t.Errorf("a later step with audit: fail: exit %d, %d annotations", r.Code, placed(r))
	}
	// A step the runner named itself is "an earlier step".
	later[auditShownEnv] = "__self"
	if r := e.runActionWith(t, with, later); !strings.Contains(r.Summary, "by an earlier token-gate step of this job.") {
		t.Errorf("unnamed step:\n%s", r.Summary)
	}
}
