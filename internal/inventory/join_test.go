package inventory

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/workflow"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

// ref is a secret reference as the audit gives it.
func ref(name, file string, line int, job, env string, role finding.Role) finding.SecretRef {
	return finding.SecretRef{Secret: name, Place: finding.Place{File: file, Line: line, Column: 21, Job: job}, Environment: env, Role: role}
}

// readRepo is a repository whose every part was read.
func readRepo(name, visibility string, refs ...finding.SecretRef) Repository {
	return Repository{Name: name, Visibility: visibility, WorkflowsRead: true, RepoSecretsRead: true, EnvironmentsRead: true,
		Audit: finding.Report{Workflows: []string{".github/workflows/release.yml"}, Secrets: refs}}
}

func repoSecret(repo, name string, age int) Secret {
	return Secret{Name: name, Level: LevelRepository, Repository: repo, UpdatedAt: daysAgo(age), CreatedAt: daysAgo(age)}
}

func envSecret(repo, env, name string, age int) Secret {
	return Secret{Name: name, Level: LevelEnvironment, Repository: repo, Environment: env, UpdatedAt: daysAgo(age)}
}

func orgSecret(name, visibility string, age int, selected ...string) Secret {
	return Secret{Name: name, Level: LevelOrganization, Visibility: visibility, Selected: selected, SelectedRead: visibility == "selected", UpdatedAt: daysAgo(age)}
}

// codes lists the findings as code/repository/file:line/secret[/wins].
func codes(inv Inventory) []string {
	var out []string
	for _, f := range inv.Findings {
		s := string(f.Code) + " " + f.Repository + " " + f.File + ":" + itoa(f.Line) + " " + f.Secret
		if f.Wins != "" {
			s += " wins=" + string(f.Wins)
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func rowOf(t *testing.T, inv Inventory, level Level, repo, env, name string) Row {
	t.Helper()
	for _, r := range inv.Secrets {
		if r.Level == level && r.Repository == repo && r.Environment == env && r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s secret %s in %q/%q", level, name, repo, env)
	return Row{}
}

const wf = ".github/workflows/release.yml"

func TestJoinFindings(t *testing.T) {
	t.Parallel()
	app := readRepo("acme/app", "private",
		ref("GHCR_PAT", wf, 20, "push", "", finding.RolePush),
		ref("NOT_DEFINED", wf, 30, "push", "", finding.RoleOther),
		ref("PROD_TOKEN", wf, 40, "deploy", "", finding.RoleOther),                  // job outside the environment
		ref("PROD_TOKEN", wf, 50, "deploy-prod", "production", finding.RolePublish), // job inside
		ref("NPM_TOKEN", wf, 60, "npm", "", finding.RolePublish),                    // repo shadows org
		ref("NPM_TOKEN", wf, 61, "npm", "", finding.RolePublish),                    // one shadow finding per view
		ref("DOCKER_PASSWORD", wf, 70, "hub", "production", finding.RolePush),       // environment shadows repository
	)
	app.Environments = []Environment{{Name: "production", SecretsRead: true}, {Name: "staging", SecretsRead: true}}
	lib := readRepo("acme/lib", "public", ref("ORG_PYPI", wf, 12, "publish", "", finding.RolePublish))
	e := Estate{Owner: "acme", Organization: true, Complete: true, OrgSecretsRead: true,
		Repositories: []Repository{lib, app},
		Secrets: []Secret{
			repoSecret("acme/app", "GHCR_PAT", 200),
			repoSecret("acme/app", "NPM_TOKEN", 10),
			repoSecret("acme/app", "DOCKER_PASSWORD", 10),
			repoSecret("acme/app", "LEFT_OVER", 10),
			envSecret("acme/app", "production", "PROD_TOKEN", 95),
			envSecret("acme/app", "production", "DOCKER_PASSWORD", 5),
			envSecret("acme/app", "staging", "STAGING_ONLY", 5),
			orgSecret("NPM_TOKEN", "all", 300),
			orgSecret("ORG_PYPI", "all", 400),
			orgSecret("ORG_UNUSED", "all", 1),
			orgSecret("PRIVATE_ONLY", "private", 1), // reaches acme/app, which does not read it
		},
	}
	inv := Join(e, Options{Now: now, MaxAgeDays: 90})
	want := []string{
		"secret-unused  : ORG_UNUSED",
		"secret-unused  : PRIVATE_ONLY",
		"secret-unused acme/app : LEFT_OVER",
		"secret-unused acme/app : STAGING_ONLY",
		"secret-old acme/app .github/workflows/release.yml:20 GHCR_PAT",
		"secret-missing acme/app .github/workflows/release.yml:30 NOT_DEFINED",
		"secret-missing acme/app .github/workflows/release.yml:40 PROD_TOKEN",
		"secret-old acme/app .github/workflows/release.yml:50 PROD_TOKEN",
		"secret-shadowed acme/app .github/workflows/release.yml:60 NPM_TOKEN wins=repository",
		"secret-shadowed acme/app .github/workflows/release.yml:70 DOCKER_PASSWORD wins=environment",
		"secret-old acme/lib .github/workflows/release.yml:12 ORG_PYPI",
	}
	if diff := cmp.Diff(want, codes(inv)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// Where each secret is read, and its age.
	ghcr := rowOf(t, inv, LevelRepository, "acme/app", "", "GHCR_PAT")
	if ghcr.AgeDays != 200 || len(ghcr.UsedBy) != 1 || ghcr.UsedBy[0].Repository != "acme/app" || ghcr.UsedBy[0].Line != 20 || ghcr.UsedBy[0].Job != "push" {
		t.Errorf("GHCR_PAT row = %+v", ghcr)
	}
	// The organization's NPM_TOKEN is shadowed where it is read: nothing
	// reads its value, and it is unused only if no other repository does.
	if org := rowOf(t, inv, LevelOrganization, "", "", "NPM_TOKEN"); len(org.UsedBy) != 0 {
		t.Errorf("the shadowed organization NPM_TOKEN is read at %+v", org.UsedBy)
	}
	if prod := rowOf(t, inv, LevelEnvironment, "acme/app", "production", "PROD_TOKEN"); len(prod.UsedBy) != 1 || prod.UsedBy[0].Job != "deploy-prod" {
		t.Errorf("PROD_TOKEN is read by %+v, want the production job only", prod.UsedBy)
	}
	if repoDocker := rowOf(t, inv, LevelRepository, "acme/app", "", "DOCKER_PASSWORD"); len(repoDocker.UsedBy) != 0 {
		t.Errorf("the repository DOCKER_PASSWORD is read at %+v, but the environment's wins", repoDocker.UsedBy)
	}
	if pypi := rowOf(t, inv, LevelOrganization, "", "", "ORG_PYPI"); len(pypi.UsedBy) != 1 || pypi.UsedBy[0].Repository != "acme/lib" {
		t.Errorf("ORG_PYPI row = %+v", pypi)
	}
	// Rows: organization first, then each repository with its environments.
	var order []string
	for _, r := range inv.Secrets {
		order = append(order, string(r.Level)+":"+r.Repository+":"+r.Environment+":"+r.Name)
	}
	if !strings.HasPrefix(order[0], "organization:") || !strings.HasPrefix(order[len(order)-1], "environment:acme/app:staging:") {
		t.Errorf("row order: %v", order)
	}
	// An organization-level finding has no place.
	for _, f := range inv.Findings {
		if f.Repository == "" && (f.File != "" || f.Line != 0) {
			t.Errorf("organization-level finding with a place: %+v", f)
		}
	}
}

// TestJoinMissingWords: a read outside the only environment that defines the
// name says which environment does; a read of a name defined nowhere says so.
func TestJoinMissingWords(t *testing.T) {
	t.Parallel()
	app := readRepo("acme/app", "private", ref("PROD_TOKEN", wf, 40, "deploy", "", finding.RoleOther), ref("TYPO", wf, 41, "deploy", "", finding.RoleOther))
	app.Environments = []Environment{{Name: "production", SecretsRead: true}}
	inv := Join(Estate{Owner: "acme", Organization: true, Complete: true, OrgSecretsRead: true, Repositories: []Repository{app},
		Secrets: []Secret{envSecret("acme/app", "production", "PROD_TOKEN", 1)}}, Options{Now: now})
	// PROD_TOKEN is also unused: no job in production reads it.
	if len(inv.Findings) != 3 || inv.Findings[0].Code != CodeUnused {
		t.Fatalf("findings: %v", codes(inv))
	}
	inv.Findings = inv.Findings[1:]
	if m := inv.Findings[0].Message; !strings.Contains(m, "only in environment production") || !strings.Contains(inv.Findings[0].Fix, "environment: production") {
		t.Errorf("environment-only message: %s / %s", m, inv.Findings[0].Fix)
	}
	if m := inv.Findings[1].Message; !strings.Contains(m, "defined nowhere this job can see") || inv.Findings[1].Severity != finding.Error {
		t.Errorf("missing message: %s", m)
	}
}

// TestJoinNeverGuesses: a part that could not be read keeps every finding
// that depends on it from being made.
func TestJoinNeverGuesses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Estate)
		want   []string
	}{
		{"all read", func(*Estate) {}, []string{"secret-unused  : ORG_X", "secret-unused acme/app : REPO_X", "secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"repository secrets not read", func(e *Estate) { e.Repositories[0].RepoSecretsRead = false }, []string{"secret-unused  : ORG_X", "secret-unused acme/app : REPO_X"}},
		{"workflows not read", func(e *Estate) {
			e.Repositories[0].WorkflowsRead = false
			e.Repositories[0].Audit = finding.Report{}
		}, nil},
		{"organization secrets not read", func(e *Estate) {
			e.OrgSecretsRead = false
			e.Secrets = e.Secrets[:1]
		}, []string{"secret-unused acme/app : REPO_X"}},
		{"the repository's organization secrets read instead", func(e *Estate) {
			e.OrgSecretsRead = false
			e.Repositories[0].OrgSecretsRead = true
			e.Repositories[0].OrgSecrets = []string{"ORG_X"}
		}, []string{"secret-unused  : ORG_X", "secret-unused acme/app : REPO_X", "secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"listing cut", func(e *Estate) { e.Complete = false }, []string{"secret-unused acme/app : REPO_X", "secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"one repository asked for", func(e *Estate) { e.Only = "acme/app" }, []string{"secret-unused acme/app : REPO_X", "secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"secrets read by a computed name", func(e *Estate) { e.Repositories[0].ReadsAnySecret = true }, []string{"secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"a left-out fork the secret reaches", func(e *Estate) {
			e.Skipped = []Repository{{Name: "acme/fork", Visibility: "public"}}
		}, []string{"secret-unused acme/app : REPO_X", "secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"selected repositories not read", func(e *Estate) {
			e.Secrets[1] = Secret{Name: "ORG_X", Level: LevelOrganization, Visibility: "selected"}
		}, []string{"secret-unused acme/app : REPO_X", "secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"selected repositories read: none", func(e *Estate) {
			e.Secrets[1] = Secret{Name: "ORG_X", Level: LevelOrganization, Visibility: "selected", SelectedRead: true}
		}, []string{"secret-unused  : ORG_X", "secret-unused acme/app : REPO_X", "secret-missing acme/app .github/workflows/release.yml:9 NOWHERE"}},
		{"environments not listed, the job runs in one", func(e *Estate) {
			e.Repositories[0].EnvironmentsRead = false
			e.Repositories[0].Audit.Secrets[0].Environment = "production"
		}, []string{"secret-unused  : ORG_X", "secret-unused acme/app : REPO_X"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := Estate{Owner: "acme", Organization: true, Complete: true, OrgSecretsRead: true,
				Repositories: []Repository{readRepo("acme/app", "private", ref("NOWHERE", wf, 9, "build", "", finding.RoleOther))},
				Secrets:      []Secret{repoSecret("acme/app", "REPO_X", 1), orgSecret("ORG_X", "all", 1)}}
			tc.change(&e)
			if diff := cmp.Diff(tc.want, codes(Join(e, Options{Now: now, MaxAgeDays: 90}))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestJoinReach: which organization secrets reach which repository, by
// visibility, or by the repository's own list when it was read.
func TestJoinReach(t *testing.T) {
	t.Parallel()
	public := &Repository{Name: "acme/site", Visibility: "public"}
	private := &Repository{Name: "acme/app", Visibility: "private"}
	internal := &Repository{Name: "acme/tool", Visibility: "internal"}
	listed := &Repository{Name: "acme/listed", Visibility: "public", OrgSecretsRead: true, OrgSecrets: []string{"sel"}}
	sel := &def{Secret: orgSecret("SEL", "selected", 1, "acme/app")}
	tests := []struct {
		d              *def
		r              *Repository
		reaches, known bool
	}{
		{&def{Secret: orgSecret("A", "all", 1)}, public, true, true},
		{&def{Secret: orgSecret("P", "private", 1)}, public, false, true},
		{&def{Secret: orgSecret("P", "private", 1)}, private, true, true},
		{&def{Secret: orgSecret("P", "private", 1)}, internal, true, true},
		// A visibility GitHub does not document is not read as public.
		{&def{Secret: orgSecret("P", "private", 1)}, &Repository{Name: "acme/odd", Visibility: "PUBLIC"}, false, false},
		{&def{Secret: orgSecret("P", "private", 1)}, &Repository{Name: "acme/unread"}, false, false},
		{sel, private, true, true},
		{sel, internal, false, true},
		{sel, listed, true, true}, // the repository's own list wins, names compared without case
		{&def{Secret: Secret{Name: "S", Level: LevelOrganization, Visibility: "selected"}}, private, false, false},
		{&def{Secret: Secret{Name: "U", Level: LevelOrganization}}, private, false, false},
	}
	for _, tc := range tests {
		reaches, known := Reaches(tc.d.Secret, tc.r)
		if reaches != tc.reaches || known != tc.known {
			t.Errorf("reaches(%s %s, %s) = %v, %v; want %v, %v", tc.d.Name, tc.d.Visibility, tc.r.Name, reaches, known, tc.reaches, tc.known)
		}
	}
}

// TestJoinRowFacts: a row carries what the audit says of the credential,
// and why GITHUB_TOKEN cannot replace a push to another owner's packages.
func TestJoinRowFacts(t *testing.T) {
	t.Parallel()
	const file = ".github/workflows/docker-push-images.yml"
	r := readRepo("vllm-project/aibrix", "public", ref("AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN", file, 86, "build-push-ghcr", "", finding.RolePush))
	r.Audit.Credentials = []finding.Credential{{Secret: "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN", Registry: "ghcr.io",
		Uses:      []finding.Place{{File: file, Line: 86, Job: "build-push-ghcr"}},
		Images:    []string{"ghcr.io/aibrix/controller-manager", "ghcr.io/aibrix/runtime"},
		CheckedBy: []finding.CheckPlace{{File: file, Line: 30, Job: "preflight"}}}}
	r.Audit.Findings = []finding.Finding{{Code: "unchecked-credential", Severity: finding.Error, Place: finding.Place{File: file, Line: 86}, Message: "m"}}
	same := readRepo("aibrix/site", "public", ref("PAT", wf, 5, "push", "", finding.RolePush))
	same.Audit.Credentials = []finding.Credential{{Secret: "PAT", Registry: "ghcr.io", Uses: []finding.Place{{File: wf, Line: 5, Job: "push"}}, Images: []string{"ghcr.io/aibrix/site"}}}
	inv := Join(Estate{Owner: "vllm-project", Repositories: []Repository{r, same}, Complete: true,
		Secrets: []Secret{repoSecret("vllm-project/aibrix", "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN", 10), repoSecret("aibrix/site", "PAT", 1)}}, Options{Now: now, MaxAgeDays: 90})
	row := rowOf(t, inv, LevelRepository, "vllm-project/aibrix", "", "AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN")
	if diff := cmp.Diff([]string{"ghcr.io/aibrix/controller-manager", "ghcr.io/aibrix/runtime"}, row.Images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if len(row.CheckedBy) != 1 || row.CheckedBy[0].Job != "preflight" || row.CheckedBy[0].Repository != "vllm-project/aibrix" {
		t.Errorf("checked by: %+v", row.CheckedBy)
	}
	if !strings.Contains(row.GitHubToken, "ghcr.io/aibrix/controller-manager from vllm-project/aibrix") || !strings.Contains(row.GitHubToken, "(vllm-project)") {
		t.Errorf("GitHubToken = %q", row.GitHubToken)
	}
	if diff := cmp.Diff([]finding.Role{finding.RolePush}, row.Roles); diff != "" {
		t.Errorf("roles: %s", diff)
	}
	if row := rowOf(t, inv, LevelRepository, "aibrix/site", "", "PAT"); row.GitHubToken != "" {
		t.Errorf("same owner, yet GitHubToken = %q", row.GitHubToken)
	}
	// The repository's audit findings come along, the repository in front.
	if len(inv.Findings) != 1 || inv.Findings[0].Code != "unchecked-credential" || inv.Findings[0].Repository != "vllm-project/aibrix" {
		t.Errorf("findings: %+v", inv.Findings)
	}
}

// TestJoinOld: only push and publish credentials age into a finding, past
// max-age-days; 0 turns it off.
func TestJoinOld(t *testing.T) {
	t.Parallel()
	r := readRepo("acme/app", "private",
		ref("PUSHER", wf, 10, "a", "", finding.RolePush),
		ref("PUBLISHER", wf, 11, "b", "", finding.RolePublish),
		ref("WEBHOOK", wf, 12, "c", "", finding.RoleOther),
		ref("USER", wf, 13, "a", "", finding.RoleUsername),
		ref("FRESH", wf, 14, "a", "", finding.RolePush))
	e := Estate{Owner: "acme", Repositories: []Repository{r}, Complete: true, Secrets: []Secret{
		repoSecret("acme/app", "PUSHER", 91), repoSecret("acme/app", "PUBLISHER", 365), repoSecret("acme/app", "WEBHOOK", 900),
		repoSecret("acme/app", "USER", 900), repoSecret("acme/app", "FRESH", 90)}}
	want := []string{"secret-old acme/app .github/workflows/release.yml:10 PUSHER", "secret-old acme/app .github/workflows/release.yml:11 PUBLISHER"}
	if diff := cmp.Diff(want, codes(Join(e, Options{Now: now, MaxAgeDays: 90}))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := codes(Join(e, Options{Now: now, MaxAgeDays: 0})); len(got) != 0 {
		t.Errorf("max-age-days 0 still reports %v", got)
	}
	inv := Join(e, Options{Now: now, MaxAgeDays: 30})
	if len(inv.Findings) != 3 {
		t.Errorf("max-age-days 30: %v", codes(inv))
	}
	if m := inv.Findings[0].Message; !strings.Contains(m, "91 days ago") || !strings.Contains(m, "never its value") {
		t.Errorf("message: %s", m)
	}
}

// TestJoinThroughACall: a read through a reusable workflow is placed at the
// caller's mapping, with the callee's line as via.
func TestJoinThroughACall(t *testing.T) {
	t.Parallel()
	rf := ref("RELEASE_QUAY_TOKEN", ".github/workflows/release.yaml", 77, "publish", "", finding.RolePush)
	rf.Via = ".github/workflows/image-reuse.yaml:110"
	r := readRepo("argoproj/argo-cd", "public", rf, ref("GONE", ".github/workflows/release.yaml", 78, "publish", "", finding.RolePush))
	r.Audit.Secrets[1].Via = ".github/workflows/image-reuse.yaml:111"
	inv := Join(Estate{Owner: "argoproj", Repositories: []Repository{r}, Complete: true,
		Secrets: []Secret{repoSecret("argoproj/argo-cd", "RELEASE_QUAY_TOKEN", 1)}}, Options{Now: now, MaxAgeDays: 90})
	row := rowOf(t, inv, LevelRepository, "argoproj/argo-cd", "", "RELEASE_QUAY_TOKEN")
	if len(row.UsedBy) != 1 || row.UsedBy[0].Via != ".github/workflows/image-reuse.yaml:110" || row.UsedBy[0].Line != 77 {
		t.Errorf("used by: %+v", row.UsedBy)
	}
	if len(inv.Findings) != 1 || inv.Findings[0].Via != ".github/workflows/image-reuse.yaml:111" || inv.Findings[0].Line != 78 {
		t.Errorf("findings: %+v", inv.Findings)
	}
}

// TestJoinDynamicEnvironment: a job whose environment is an expression may
// run in any of them, so each environment's definition counts as read, and
// no read is called missing.
func TestJoinDynamicEnvironment(t *testing.T) {
	t.Parallel()
	r := readRepo("acme/app", "private", ref("DEPLOY_KEY", wf, 10, "deploy", "${{ inputs.env }}", finding.RoleOther))
	r.Environments = []Environment{{Name: "staging", SecretsRead: true}, {Name: "production", SecretsRead: true}}
	inv := Join(Estate{Owner: "acme", Repositories: []Repository{r}, Complete: true,
		Secrets: []Secret{envSecret("acme/app", "staging", "DEPLOY_KEY", 1), envSecret("acme/app", "production", "DEPLOY_KEY", 1)}}, Options{Now: now})
	if len(inv.Findings) != 0 {
		t.Errorf("findings: %v", codes(inv))
	}
	for _, env := range []string{"staging", "production"} {
		if row := rowOf(t, inv, LevelEnvironment, "acme/app", env, "DEPLOY_KEY"); len(row.UsedBy) != 1 {
			t.Errorf("%s: used by %+v", env, row.UsedBy)
		}
	}
}

func TestReadsAnySecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want bool
	}{
		{"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets.NAMED }}\n", false},
		{"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets[format('{0}_TOKEN', matrix.env)] }}\n", true},
		{"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - env:\n          ALL: ${{ toJSON(secrets) }}\n        run: echo\n", true},
		{"on: push\njobs:\n  a:\n    uses: other/repo/.github/workflows/x.yml@v1\n    secrets: inherit\n", true},
		{"on: push\njobs:\n  a:\n    uses: ./.github/workflows/x.yml\n    secrets: inherit\n", false},
		{"on: push\nenv:\n  T: ${{ secrets[inputs.name] }}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n", true},
	}
	for _, tc := range tests {
		f := workflow.Parse(".github/workflows/x.yml", []byte(tc.src))
		if f.Err != nil {
			t.Fatalf("%s: %v", tc.src, f.Err)
		}
		if got := ReadsAnySecret([]*workflow.File{f}); got != tc.want {
			t.Errorf("ReadsAnySecret(%q) = %v, want %v", tc.src, got, tc.want)
		}
	}
}
