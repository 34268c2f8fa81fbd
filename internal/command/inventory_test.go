package command

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/inventory"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/workflow"
)

var updateGolden = flag.Bool("update-inventory", false, "rewrite testdata/golden/inventory.*")

// invToken reads every part in the fakes: a classic PAT with repo and
// admin:org.
var invToken = fake.Token("ghp_", "inventory")

func day(n int) fake.EstateSecret {
	t := now.Add(-time.Duration(n) * 24 * time.Hour)
	return fake.EstateSecret{Created: t, Updated: t}
}

func sec(name string, age int) fake.EstateSecret {
	s := day(age)
	s.Name = name
	return s
}

const pushAndDeploy = `name: release
on: push
jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GHCR_PAT }}
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/other-org/app:latest
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
        env:
          TOKEN: ${{ secrets.PROD_TOKEN }}
`

// smallOrg is an organization whose every finding kind shows once.
func smallOrg() *fake.Estate {
	return &fake.Estate{Owner: "acme", Org: true,
		Repos: []*fake.EstateRepo{
			{Name: "app", Visibility: "private", Files: map[string]string{"release.yml": pushAndDeploy},
				Secrets:      []fake.EstateSecret{sec("GHCR_PAT", 200), sec("OLD_KEY", 10)},
				Environments: []fake.EstateEnvironment{{Name: "production", Secrets: []fake.EstateSecret{sec("PROD_TOKEN", 3)}}}},
			{Name: "site", Visibility: "public"},
		},
		OrgSecrets: []fake.EstateOrgSecret{{EstateSecret: sec("ORG_UNUSED", 1), Visibility: "all"}},
	}
}

func inventoryEnv(t *testing.T, e *fake.Estate) *env {
	t.Helper()
	ev := healthEnv(t)
	ev.gh.Add(invToken, fake.Account{Login: "auditor", Scopes: "repo, admin:org"})
	ev.gh.SetEstate(e)
	return ev
}

func (e *env) inventory(t *testing.T, args ...string) result {
	t.Helper()
	return e.run(t, map[string]string{"GH_TOKEN": invToken, "GITHUB_API_URL": e.gh.URL}, append([]string{"inventory"}, args...), "")
}

// TestInventoryTerminal: the table, the findings with the repository in
// front of each file, and the totals; exit 1 for the error finding.
func TestInventoryTerminal(t *testing.T) {
	t.Parallel()
	e := inventoryEnv(t, smallOrg())
	r := e.inventory(t, "acme")
	if r.Code != ExitFail {
		t.Fatalf("exit %d, want 1 (a secret read empty):\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, want := range []string{
		"token-gate inventory of acme",
		"SECRET", "LEVEL", "USED BY",
		"acme/app/.github/workflows/release.yml:21:18: error[secret-missing]: job deploy reads secrets.PROD_TOKEN, which acme/app defines only in environment production, and the job names no environment",
		"acme/app/.github/workflows/release.yml:11:21: warning[secret-old]: GHCR_PAT (a repository secret) pushes, and was last set 2026-05-09, 200 days ago",
		"acme/app: warning[secret-unused]: OLD_KEY is a repository secret of acme/app",
		"organization: warning[secret-unused]: ORG_UNUSED is an organization secret (visibility all)",
		"warning[unchecked-credential]",
		"GHCR_PAT: GITHUB_TOKEN cannot replace it: it pushes ghcr.io/other-org/app from acme/app",
		"2 repositories, 1 workflow, 4 secrets read: 1 error, 5 warnings",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the terminal report lacks %q:\n%s", want, r.Stdout)
		}
	}
	if r.Stderr != "" {
		t.Errorf("stderr is not a terminal, yet: %q", r.Stderr)
	}
}

// TestInventoryFlags: flags before or after OWNER, and every bad use says
// what is wrong and how to fix it, exit 2, nothing sent.
func TestInventoryFlags(t *testing.T) {
	t.Parallel()
	e := inventoryEnv(t, smallOrg())
	for _, args := range [][]string{{"--json", "acme", "--max-age-days", "30"}, {"acme", "--json", "--max-age-days=30"}, {"--max-age-days", "30", "--json", "acme"}} {
		r := e.inventory(t, args...)
		var doc report.InventoryDocument
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || doc.Owner != "acme" {
			t.Errorf("%v: not the JSON inventory of acme: %v\n%s", args, err, r.Stdout)
		}
	}
	sent := len(e.gh.Requests())
	for _, tc := range []struct {
		args []string
		says string
	}{
		{nil, "name an organization or user"},
		{[]string{"acme", "other"}, "inventory takes one OWNER or OWNER/REPO, not 2"},
		{[]string{"-acme"}, "flag provided but not defined"},
		{[]string{"acme/"}, "OWNER[/REPO]: \"acme/\": not OWNER/REPO"},
		{[]string{"bad_owner!"}, "not an organization or user name"},
		{[]string{"acme", "--max-repos", "0"}, "flag --max-repos: \"0\": not a whole number between 1 and 1000000"},
		{[]string{"acme", "--max-age-days", "soon"}, "flag --max-age-days"},
		{[]string{"--token", invToken, "acme"}, "there is no --token flag"},
		{[]string{"acme", "--api-url", "http://example.com"}, "plain http"},
	} {
		r := e.inventory(t, tc.args...)
		if r.Code != ExitUsage || !strings.Contains(r.Stderr, tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying %q", tc.args, r.Code, r.Stderr, tc.says)
		}
	}
	if got := len(e.gh.Requests()); got != sent {
		t.Errorf("bad usage sent %d requests", got-sent)
	}
	// No token at all.
	r := e.run(t, map[string]string{"GITHUB_API_URL": e.gh.URL}, []string{"inventory", "acme"}, "")
	if r.Code != ExitUsage || !strings.Contains(r.Stderr, "the inventory reads with it") || !strings.Contains(r.Stderr, "GITHUB_TOKEN cannot read secrets") {
		t.Errorf("no token: exit %d, %q", r.Code, r.Stderr)
	}
	// --token-stdin.
	r = e.run(t, map[string]string{"GITHUB_API_URL": e.gh.URL}, []string{"inventory", "--token-stdin", "acme/site"}, invToken+"\n")
	if r.Code != ExitPass || !strings.Contains(r.Stdout, "token-gate inventory of acme/site") {
		t.Errorf("--token-stdin: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestInventoryJSONGolden keeps --json's version 1 as the issue specifies
// it: a renamed or retyped field breaks the golden file.
func TestInventoryJSONGolden(t *testing.T) {
	t.Parallel()
	e := inventoryEnv(t, smallOrg())
	r := e.inventory(t, "--json", "acme")
	path := filepath.Join("..", "..", "testdata", "golden", "inventory.json")
	if *updateGolden {
		os.WriteFile(path, []byte(r.Stdout), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/command -run TestInventoryJSONGolden -update-inventory)", err)
	}
	if diff := cmp.Diff(string(want), r.Stdout); diff != "" {
		t.Errorf("--json changed (-golden +now):\n%s", diff)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "owner", "secrets", "findings", "not_visible"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q", k)
		}
	}
	if doc["version"] != float64(1) {
		t.Errorf("version %v", doc["version"])
	}
	for _, s := range doc["secrets"].([]any) {
		m := s.(map[string]any)
		for _, k := range []string{"name", "level", "updated_at", "age_days", "used_by"} {
			if _, ok := m[k]; !ok {
				t.Errorf("secret %v has no %q", m["name"], k)
			}
		}
		if m["level"] == "organization" && m["visibility"] == nil {
			t.Errorf("organization secret %v has no visibility", m["name"])
		}
		if m["level"] != "organization" && m["repository"] == nil {
			t.Errorf("%v secret %v has no repository", m["level"], m["name"])
		}
	}
	for _, f := range doc["findings"].([]any) {
		m := f.(map[string]any)
		for _, k := range []string{"code", "severity", "repository", "file", "line", "secret", "message", "fix"} {
			if _, ok := m[k]; !ok {
				t.Errorf("finding %v has no %q", m["code"], k)
			}
		}
		if m["repository"] == "" && (m["file"] != "" || m["line"] != nil) {
			t.Errorf("an organization-level finding with a place: %v", m)
		}
	}
}

// TestInventoryProgress: a progress line on standard error while reading,
// on a terminal only, cleared at the end.
func TestInventoryProgress(t *testing.T) {
	t.Parallel()
	e := inventoryEnv(t, smallOrg())
	e.gh.SetDelay(60 * time.Millisecond)
	var stdout, stderr strings.Builder
	cmd := &Command{Args: []string{"inventory", "acme"}, StderrIsTerminal: true, Stdout: &stdout, Stderr: &stderr,
		LookupEnv: func(k string) (string, bool) {
			v, ok := map[string]string{"GH_TOKEN": invToken, "GITHUB_API_URL": e.gh.URL}[k]
			return v, ok
		}, Transport: http.DefaultTransport, Policy: fastPolicy, Now: func() time.Time { return now }}
	cmd.Main(t.Context())
	if !strings.Contains(stderr.String(), "\r\x1b[Ktoken-gate: reading acme:") || !strings.HasSuffix(stderr.String(), "\r\x1b[K") {
		t.Errorf("no progress line on a terminal: %q", stderr.String())
	}
	if strings.Contains(stdout.String(), "\x1b[K") || strings.Contains(stdout.String(), "reading acme") {
		t.Error("the progress line reached standard output")
	}
	if fake.Leaks(stdout.String()+stderr.String(), invToken) != nil {
		t.Error("the token leaked")
	}
}

// TestInventoryRefusedToken: a 401 stops the run at once with words that
// say so; nothing is retried.
func TestInventoryRefusedToken(t *testing.T) {
	t.Parallel()
	e := inventoryEnv(t, smallOrg())
	r := e.run(t, map[string]string{"GH_TOKEN": fake.Token("ghp_", "revoked"), "GITHUB_API_URL": e.gh.URL}, []string{"inventory", "acme"}, "")
	if r.Code != ExitFail || !strings.Contains(r.Stderr, "GitHub refused the token (401 Bad credentials)") {
		t.Errorf("exit %d, %q", r.Code, r.Stderr)
	}
	if n := len(e.gh.Requests()); n != 1 {
		t.Errorf("%d requests after a 401", n)
	}
	r = e.inventory(t, "nobody")
	if r.Code != ExitFail || !strings.Contains(r.Stderr, "no organization or user named nobody") {
		t.Errorf("a missing owner: exit %d, %q", r.Code, r.Stderr)
	}
}

// TestInventoryNotVisible: a token that may not read a part gets the rest
// and the part named with the permission that shows it; no finding rests
// on the part it could not read, and those that do not stand.
func TestInventoryNotVisible(t *testing.T) {
	t.Parallel()
	est := smallOrg()
	// A job inside production reads a name production may or may not
	// define: with production's secrets hidden, it is no secret-missing.
	est.Repos[0].Files["prod.yml"] = "name: prod\non: push\njobs:\n  ship:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: echo ${{ secrets.SHIP_KEY }}\n"
	est.Deny(fake.PartEnvSecrets, "", "secrets-not-accessible-403")
	est.Deny(fake.PartOrgSecrets, "", "secrets-admin-403")
	est.Deny(fake.PartRepoOrgSecrets, "acme/site", "secrets-admin-403")
	e := inventoryEnv(t, est)
	r := e.inventory(t, "--json", "acme")
	var doc report.InventoryDocument
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, g := range doc.NotVisible {
		parts[g.Part] = g.Permission
	}
	if !strings.Contains(parts[inventory.PartEnvironmentSecrets], "Environments read") || !strings.Contains(parts[inventory.PartOrgSecrets], "admin:org") ||
		!strings.Contains(parts[inventory.PartRepoOrgSecrets], "repository permission Secrets read") {
		t.Errorf("not visible: %+v", doc.NotVisible)
	}
	var missing []string
	for _, f := range doc.Findings {
		if f.Code == string(inventory.CodeMissing) {
			missing = append(missing, f.Secret)
		}
		// ORG_UNUSED may be read by acme/site, whose view of the
		// organization's secrets could not be read.
		if f.Secret == "ORG_UNUSED" || f.Secret == "SHIP_KEY" {
			t.Errorf("a finding that rests on what could not be read: %+v", f)
		}
	}
	// The job outside any environment reads PROD_TOKEN empty whatever
	// production holds: that finding stands.
	if diff := cmp.Diff([]string{"PROD_TOKEN"}, missing); diff != "" {
		t.Errorf("secret-missing (-want +got):\n%s", diff)
	}
	text := e.inventory(t, "acme")
	if !strings.Contains(text.Stdout, "not visible:") || !strings.Contains(text.Stdout, "needs: classic: repo; fine-grained or GitHub App: repository permission Environments read") {
		t.Errorf("terminal:\n%s", text.Stdout)
	}
}

// TestInventoryLeaks: a token written into a workflow, and a server that
// quotes the reading token in a refusal, appear nowhere the inventory
// writes, in any form (the harness scans every run).
func TestInventoryLeaks(t *testing.T) {
	t.Parallel()
	est := smallOrg()
	leaked := fake.Token("ghp_", "written")
	est.Repos[1].Files = map[string]string{"oops.yml": "name: oops\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo " + leaked + " ${{ secrets.MISSING }}\n"}
	e := inventoryEnv(t, est)
	e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if strings.HasSuffix(r.URL.Path, "/environments") {
			fake.Recorded("secrets-admin-403").Fill("Must have admin rights to Repository.", "token "+invToken+" may not").Write(w)
			return true
		}
		return false
	})
	for _, args := range [][]string{{"acme"}, {"--json", "acme"}} {
		r := e.inventory(t, args...)
		if leaks := fake.Leaks(r.All(), leaked, invToken); len(leaks) > 0 {
			t.Errorf("%v leaked %v", args, leaks)
		}
		if !strings.Contains(r.Stdout, "token *** may not") {
			t.Errorf("the refusal is not quoted, redacted:\n%s", r.Stdout)
		}
	}
	r := e.runAction(t, map[string]string{"inventory": "acme", "token": invToken, "reminder": "issue"})
	if leaks := fake.Leaks(r.All()+e.gh.IssueText(), leaked, invToken); len(leaks) > 0 {
		t.Errorf("the action leaked %v", leaks)
	}
}

// TestInventoryAction: the action with inventory set writes the inventory
// to the log, the step summary and one annotation, and keeps one issue,
// edited only when the inventory changed.
func TestInventoryAction(t *testing.T) {
	t.Parallel()
	est := smallOrg()
	e := inventoryEnv(t, est)
	with := map[string]string{"inventory": "acme", "token": invToken, "reminder": "issue", "max-age-days": "30"}
	r := e.runAction(t, with)
	if r.Code != ExitFail {
		t.Errorf("exit %d, want 1 (an error finding)", r.Code)
	}
	for _, want := range []string{"## 🔑 token-gate inventory of acme", "### Findings", "### Secrets", "secret-missing", "| `GHCR_PAT` | repository | acme/app |"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Summary)
		}
	}
	if !strings.Contains(r.Stdout, "::group::token-gate: inventory") || !strings.Contains(r.Stdout, "error[secret-missing]") {
		t.Errorf("the log has no inventory:\n%s", r.Stdout)
	}
	if a := r.Commands("error"); len(a) != 1 || !strings.Contains(a[0].Message, "token inventory of acme: 4 secrets, 1 error, 5 warnings") {
		t.Errorf("annotations: %+v", r.Commands("error"))
	}
	open := e.gh.Issues.Open()
	if len(open) != 1 || !strings.HasPrefix(open[0].Title, "Token inventory of acme: 4 secrets") || !strings.Contains(open[0].Body, "<!-- token-gate-inventory: acme -->") {
		t.Fatalf("issues: %+v", open)
	}
	if strings.Contains(open[0].Body, "| Age |") {
		t.Error("the issue shows ages, which change every day")
	}
	writes := len(e.gh.Issues.Mutations())

	// The same inventory a day later: the issue is not written.
	r = e.runAction(t, with)
	if got := len(e.gh.Issues.Mutations()); got != writes {
		t.Errorf("an unchanged inventory wrote the issue (%d writes)", got-writes)
	}
	// A change: the issue is edited, not duplicated.
	est.Repos[0].Secrets = est.Repos[0].Secrets[:1]
	r = e.runAction(t, with)
	if open := e.gh.Issues.Open(); len(open) != 1 || strings.Contains(open[0].Body, "OLD_KEY") {
		t.Errorf("issues after a change: %d, body %s", len(open), open[0].Body)
	}
	if !strings.Contains(r.Outputs["reminders"], `"action":"updated"`) {
		t.Errorf("reminders output: %s", r.Outputs["reminders"])
	}
}

// TestInventoryActionNeedsToken: inventory without token is bad input.
func TestInventoryActionNeedsToken(t *testing.T) {
	t.Parallel()
	e := inventoryEnv(t, smallOrg())
	r := e.runAction(t, map[string]string{"inventory": "acme"})
	if r.Code != ExitUsage || !strings.Contains(r.Messages(), "input `token`: empty, but the inventory reads with it") {
		t.Errorf("exit %d: %s", r.Code, r.Messages())
	}
	r = e.runAction(t, map[string]string{"inventory": "ac me", "token": invToken})
	if r.Code != ExitUsage || !strings.Contains(r.Messages(), "input `inventory`") {
		t.Errorf("exit %d: %s", r.Code, r.Messages())
	}
}

// TestInventoryGeneratedOrg takes the inventory of a generated organization
// (1,000 repositories; 150 with -short) whose every finding is known by
// construction: each inventory finding is exactly those, and each
// repository's audit findings are exactly what the audit says of its files,
// with the repository in front.
func TestInventoryGeneratedOrg(t *testing.T) {
	t.Parallel()
	n := 1000
	if testing.Short() {
		n = 150
	}
	corpus, why := fake.LoadCorpus()
	if corpus == nil {
		t.Skip(why)
	}
	est, want := fake.GenerateOrg("acme", n, corpus, now)
	e := inventoryEnv(t, est)
	r := e.inventory(t, "--json", "acme")
	var doc report.InventoryDocument
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.Stderr)
	}
	if doc.Repositories != n || len(doc.NotVisible) != 0 {
		t.Fatalf("read %d of %d repositories; not visible: %+v", doc.Repositories, n, doc.NotVisible)
	}
	own := map[string]bool{}
	for _, c := range inventory.Codes() {
		own[string(c)] = true
	}
	var got []string
	auditGot := map[string][]string{}
	for _, f := range doc.Findings {
		if own[f.Code] {
			line := 0
			if f.Line != nil {
				line = *f.Line
			}
			got = append(got, fake.Expected{Code: f.Code, Repository: f.Repository, File: f.File, Line: line, Secret: f.Secret, Wins: f.Wins}.String())
			continue
		}
		auditGot[f.Repository] = append(auditGot[f.Repository], fmt.Sprintf("%s:%d %s %s", f.File, *f.Line, f.Code, f.Message))
	}
	var wantS []string
	for _, w := range want {
		wantS = append(wantS, w.String())
	}
	slices.Sort(got)
	slices.Sort(wantS)
	if diff := cmp.Diff(wantS, got); diff != "" {
		t.Errorf("inventory findings (-want +got):\n%s", diff)
	}
	// Each repository's audit findings: the audit's own, on the same files.
	for _, repo := range est.Repos {
		if repo.Archived {
			continue
		}
		full := "acme/" + repo.Name
		var wantAudit []string
		if repo.Files != nil {
			wr := &workflow.Repo{}
			names := make([]string, 0, len(repo.Files))
			for name := range repo.Files {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				wr.Files = append(wr.Files, workflow.Parse(".github/workflows/"+name, []byte(repo.Files[name])))
			}
			for _, f := range audit.Audit(wr, audit.Options{Repository: full}).Findings {
				wantAudit = append(wantAudit, fmt.Sprintf("%s:%d %s %s", f.File, f.Line, f.Code, f.Message))
			}
		}
		slices.Sort(wantAudit)
		gotAudit := auditGot[full]
		slices.Sort(gotAudit)
		if diff := cmp.Diff(wantAudit, gotAudit); diff != "" {
			t.Errorf("%s's audit findings (-audit +inventory):\n%s", full, diff)
		}
	}
	// AIBrix's PAT pushes to another owner's packages: its row says why
	// GITHUB_TOKEN cannot replace it.
	found := false
	for _, s := range doc.Secrets {
		if s.Name == "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN" {
			found = true
			if !strings.Contains(s.GitHubToken, "ghcr.io/aibrix/") || len(s.UsedBy) == 0 {
				t.Errorf("AIBrix's PAT row: %+v", s)
			}
		}
	}
	if !found {
		t.Error("no AIBrix repository in the generated organization")
	}
	// The budgets: GraphQL at most one query per 20 repositories plus a
	// few; REST at most 3 per repository plus one per environment and per
	// selected organization secret, plus a few.
	gql, rest := 0, 0
	for _, q := range e.gh.Requests() {
		if q.Path == "/api/graphql" {
			gql++
		} else {
			rest++
		}
	}
	envs, selected := 0, 0
	for _, repo := range est.Repos {
		if !repo.Archived {
			envs += len(repo.Environments)
		}
	}
	for _, s := range est.OrgSecrets {
		if s.Visibility == "selected" {
			selected++
		}
	}
	total := n + len(est.Repos) - n // archived ones are listed too
	if limit := (total+19)/20 + 3; gql > limit {
		t.Errorf("%d GraphQL queries for %d repositories, more than %d", gql, total, limit)
	}
	if limit := 3*n + envs + selected + 3; rest > limit {
		t.Errorf("%d REST requests, more than %d", rest, limit)
	}
	t.Logf("FIGURE %d repositories: %d GraphQL queries, %d REST requests", n, gql, rest)
}

// TestInventoryIssueRefused: the issues API refusing is one warning that
// says what to do; the inventory stands.
func TestInventoryIssueRefused(t *testing.T) {
	t.Parallel()
	e := inventoryEnv(t, smallOrg())
	e.gh.Issues.Fail("*", "issues-not-accessible-403")
	r := e.runAction(t, map[string]string{"inventory": "acme", "token": invToken, "reminder": "issue"})
	w := r.Commands("warning")
	if len(w) != 1 || !strings.Contains(w[0].Message, "The inventory above stands.") || !strings.Contains(w[0].Message, "issues: write") {
		t.Errorf("warnings: %+v", w)
	}
	if r.Code != ExitFail || !strings.Contains(r.Summary, "### Findings") {
		t.Errorf("the inventory did not stand: exit %d", r.Code)
	}
}
