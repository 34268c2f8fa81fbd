package command

import (
	"fmt"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/fake"
)

// fanRepo is a reusable workflow that logs CR_PAT in, called by n jobs.
func fanRepo(t *testing.T, n int) string {
	t.Helper()
	var calls strings.Builder
	calls.WriteString("on: push\njobs:\n")
	for i := range n {
		fmt.Fprintf(&calls, "  call%d:\n    uses: ./.github/workflows/build.yml\n    secrets: inherit\n", i)
	}
	return repoWith(t, map[string]string{
		"release.yml": calls.String(),
		"build.yml": `on:
  workflow_call:
    secrets:
      CR_PAT:
        required: true
jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: acme
          password: ${{ secrets.CR_PAT }}
      - run: docker push ghcr.io/acme/app
`,
	})
}

// A revoked token whose login a fan of 300 calls reaches: the summary and
// the reminder issue list that place once, with its count, and keep the
// token's own finding.
func TestFanOfCallsListedOnce(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.workspace = fanRepo(t, 300)
	r := e.runAction(t, map[string]string{"token": fake.Classic, "token-name": "CR_PAT", "reminder": "issue"})
	if r.Code != ExitFail || !strings.Contains(r.Summary, "Token expired or revoked") {
		t.Fatalf("exit %d\n%s", r.Code, r.Summary)
	}
	if !strings.Contains(r.Summary, "| Used in | .github/workflows/build.yml:14 (job call0/push; reached by 300 calls) |") {
		t.Errorf("the summary does not list the place once with its count:\n%s", r.Summary)
	}
	if strings.Contains(r.Summary, "call299") || !strings.Contains(r.Summary, "call11 and 288 more need it") {
		t.Errorf("the fix's words do not bound the jobs they name")
	}
	open := e.gh.Issues.Open()
	if len(open) != 1 {
		t.Fatalf("%d issues", len(open))
	}
	if body := open[0].Body; strings.Count(body, "build.yml:14") != 1 || !strings.Contains(body, "(job `call0/push`; reached by 300 calls)") || !strings.Contains(body, "expired or revoked") {
		t.Errorf("the issue:\n%s", body)
	}
}
