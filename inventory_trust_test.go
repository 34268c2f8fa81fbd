package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/fake"
)

// The leak scans of the check, held against the built binary's inventory:
// its arguments, GitHub's refusals quoting the token, a token written into
// a workflow, in the terminal and the JSON.

// TestInventoryArgumentsNeverEchoATokenWhole: a token pasted as OWNER, as a
// flag or its value is never printed whole.
func TestInventoryArgumentsNeverEchoATokenWhole(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"inventory", leakToken},
		{"inventory", "acme", leakToken},
		{"inventory", "--json=" + leakToken, "acme"},
		{"inventory", "-" + leakToken},
		{"inventory", "acme", "--max-repos", leakToken},
		{"inventory", "acme/" + leakToken},
	} {
		r := runTerminal(t, nil, args...)
		if r.Code != 2 {
			t.Errorf("%.30q: exit %d, want 2", args, r.Code)
		}
		if leaks := fake.Leaks(r.All(), leakToken); len(leaks) > 0 {
			t.Errorf("%.30q: leaked %v:\n%s", args, leaks, r.Stderr)
		}
	}
}

// TestInventoryOutputsNeverHoldAToken: GitHub quoting the reading token in
// a refusal, and a token written into a workflow, appear in no byte the
// binary writes, terminal or JSON.
func TestInventoryOutputsNeverHoldAToken(t *testing.T) {
	t.Parallel()
	gh := fake.NewGitHub(t)
	gh.Add(leakToken, fake.Account{Login: "auditor", Scopes: "repo, admin:org"})
	written := fake.Token("ghp_", "writtenintoaworkflow")
	gh.SetEstate(&fake.Estate{Owner: "acme", Org: true, Repos: []*fake.EstateRepo{
		{Name: "app", Visibility: "public", Files: map[string]string{"x.yml": "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo " + written + " ${{ secrets.NOPE }}\n"}},
	}})
	gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if strings.HasSuffix(r.URL.Path, "/actions/secrets") {
			fake.Recorded("secrets-admin-403").Fill("Must have admin rights to Repository.", "token "+leakToken+" refused").Write(w)
			return true
		}
		return false
	})
	for _, args := range [][]string{{"inventory", "acme"}, {"inventory", "--json", "acme"}} {
		r := runTerminal(t, []string{"GH_TOKEN=" + leakToken, "GITHUB_API_URL=" + gh.URL}, args...)
		if leaks := fake.Leaks(r.All(), leakToken, written); len(leaks) > 0 {
			t.Errorf("%v leaked %v", args, leaks)
		}
		if !strings.Contains(r.Stdout, "token *** refused") {
			t.Errorf("%v: the refusal is not there, redacted:\n%s%s", args, r.Stdout, r.Stderr)
		}
	}
}
