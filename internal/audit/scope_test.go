package audit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/workflow"
)

// A step's audit: fail holds back its own workflow: a workflow that
// releases fails on the errors in the files it reaches (itself and the
// reusable workflows it calls), and another workflow's errors are warnings
// there; a workflow that releases nothing (an audit on pull requests) fails
// on any.
func TestWithinWorkflow(t *testing.T) {
	half, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audit", "half-release", ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	root := writeRepo(t, map[string][]byte{
		"release.yml": []byte("on: push\njobs:\n  call:\n    uses: ./.github/workflows/build.yml\n    secrets: inherit\n"),
		"build.yml":   []byte(string(half) + "  # called\n"),
		"nightly.yml": half,
		"audit.yml":   []byte("on: pull_request\njobs:\n  audit:\n    runs-on: x\n    steps:\n      - uses: token-gate/token-gate@main\n        with:\n          token: ''\n          audit: fail\n"),
	})
	repo, err := workflow.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	rep := Audit(repo, Options{}).Report
	errorsIn := func(r finding.Report) map[string]int {
		out := map[string]int{}
		for _, f := range r.Findings {
			if f.Severity == Error {
				out[filepath.Base(f.File)]++
			}
		}
		return out
	}
	all := errorsIn(rep)
	if all["build.yml"] == 0 || all["nightly.yml"] == 0 {
		t.Fatalf("the sample has no errors to scope: %v", all)
	}
	got := errorsIn(WithinWorkflow(rep, repo, workflow.Dir+"/release.yml"))
	if got["build.yml"] != all["build.yml"] || got["nightly.yml"] != 0 {
		t.Errorf("release.yml's step sees errors %v; want build.yml's %d and none of nightly.yml's", got, all["build.yml"])
	}
	if got := errorsIn(WithinWorkflow(rep, repo, workflow.Dir+"/nightly.yml")); got["build.yml"] != 0 || got["nightly.yml"] != all["nightly.yml"] {
		t.Errorf("nightly.yml's step sees errors %v", got)
	}
	for _, file := range []string{workflow.Dir + "/audit.yml", workflow.Dir + "/gone.yml", ""} {
		if got := errorsIn(WithinWorkflow(rep, repo, file)); got["build.yml"] != all["build.yml"] || got["nightly.yml"] != all["nightly.yml"] {
			t.Errorf("%q's step sees errors %v, want all of %v", file, got, all)
		}
	}
	if n := len(WithinWorkflow(rep, repo, workflow.Dir+"/release.yml").Findings); n != len(rep.Findings) {
		t.Errorf("scoping dropped findings: %d of %d", n, len(rep.Findings))
	}
}
