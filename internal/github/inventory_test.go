package github

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/inventory"
	"github.com/token-gate/token-gate/internal/transport"
	"github.com/token-gate/token-gate/internal/workflow"
)

var day = 24 * time.Hour

func secret(name string, age int) fake.EstateSecret {
	t := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(age) * day)
	return fake.EstateSecret{Name: name, Created: t, Updated: t}
}

const pushWorkflow = `name: push
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
      - run: echo ${{ secrets.DEPLOY_HOOK }}
`

const envWorkflow = `name: deploy
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo ${{ secrets.PROD_TOKEN }}
`

// smallEstate is an organization with a private repository that has an
// environment, a public one, one without workflows, an archived one and a
// fork, and organization secrets of each visibility.
func smallEstate() *fake.Estate {
	return &fake.Estate{Owner: "acme", Org: true,
		Repos: []*fake.EstateRepo{
			{Name: "app", Visibility: "private", Files: map[string]string{"push.yml": pushWorkflow, "deploy.yml": envWorkflow, "README.md": "not a workflow"},
				Secrets:      []fake.EstateSecret{secret("GHCR_PAT", 200)},
				Environments: []fake.EstateEnvironment{{Name: "production", Secrets: []fake.EstateSecret{secret("PROD_TOKEN", 3)}}}},
			{Name: "lib", Visibility: "public", Files: map[string]string{"push.yml": pushWorkflow}},
			{Name: "bare", Visibility: "public"},
			{Name: "old", Visibility: "public", Archived: true, Files: map[string]string{"push.yml": pushWorkflow}},
			{Name: "fork", Visibility: "public", Fork: true, Files: map[string]string{"push.yml": pushWorkflow}},
		},
		OrgSecrets: []fake.EstateOrgSecret{
			{EstateSecret: secret("DEPLOY_HOOK", 1), Visibility: "all"},
			{EstateSecret: secret("PRIVATE_ONLY", 1), Visibility: "private"},
			{EstateSecret: secret("PICKED", 1), Visibility: "selected", Selected: []string{"lib", "app"}},
		},
	}
}

// testAudit is the audit the command runs, in memory.
func testAudit(repository string, files []WorkflowFile) (finding.Report, bool) {
	repo := &workflow.Repo{}
	for _, f := range files {
		if f.Err != "" {
			repo.Files = append(repo.Files, &workflow.File{Path: f.Path, Err: &workflow.Error{Pos: workflow.Pos{Line: 1, Col: 1}, Msg: f.Err}})
			continue
		}
		repo.Files = append(repo.Files, workflow.Parse(f.Path, f.Source))
	}
	return audit.Audit(repo, audit.Options{Repository: repository}).Report, inventory.ReadsAnySecret(repo.Files)
}

type fixture struct {
	gh     *fake.GitHub
	reader *Reader
}

func newFixture(t *testing.T, e *fake.Estate, opts ReaderOptions) fixture {
	t.Helper()
	gh := fake.NewGitHub(t)
	gh.Add(fake.Classic, fake.Account{Login: "octocat", Scopes: "repo, admin:org"})
	gh.SetEstate(e)
	api, _ := url.Parse(gh.URL)
	policy := transport.DefaultPolicy()
	policy.Backoff = time.Millisecond
	r, err := NewReader(api, fake.Classic, nil, policy, opts)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{gh: gh, reader: r}
}

func (f fixture) read(t *testing.T, target Target) inventory.Estate {
	t.Helper()
	e, err := f.reader.Read(t.Context(), target, testAudit)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return e
}

func repoNames(e inventory.Estate) []string {
	var out []string
	for _, r := range e.Repositories {
		out = append(out, r.Name)
	}
	return out
}

func secretKeys(e inventory.Estate) []string {
	var out []string
	for _, s := range e.Secrets {
		k := string(s.Level) + ":" + s.Repository + ":" + s.Environment + ":" + s.Name
		if s.Visibility != "" {
			k += ":" + s.Visibility
		}
		if s.SelectedRead {
			k += ":" + strings.Join(s.Selected, ",")
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestReadOwner reads an organization whole: the repositories but archived
// ones and forks, each one's workflows and secrets at every level, and the
// organization's secrets with the repositories the selected one reaches.
func TestReadOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t, smallEstate(), ReaderOptions{PageSize: 2})
	e := f.read(t, Target{Owner: "acme"})
	if diff := cmp.Diff([]string{"acme/app", "acme/bare", "acme/lib"}, repoNames(e)); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	if !e.Organization || !e.Complete || !e.OrgSecretsRead || len(e.NotVisible) != 0 {
		t.Errorf("estate: org %v complete %v org secrets %v gaps %+v", e.Organization, e.Complete, e.OrgSecretsRead, e.NotVisible)
	}
	var skipped []string
	for _, s := range e.Skipped {
		skipped = append(skipped, s.Name)
	}
	slices.Sort(skipped)
	if diff := cmp.Diff([]string{"acme/fork", "acme/old"}, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	want := []string{
		"environment:acme/app:production:PROD_TOKEN",
		"organization:::DEPLOY_HOOK:all",
		"organization:::PICKED:selected:acme/app,acme/lib",
		"organization:::PRIVATE_ONLY:private",
		"repository:acme/app::GHCR_PAT",
	}
	if diff := cmp.Diff(want, secretKeys(e)); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	app := e.Repositories[0]
	if !app.WorkflowsRead || !app.RepoSecretsRead || !app.OrgSecretsRead || !app.EnvironmentsRead || len(app.Environments) != 1 || !app.Environments[0].SecretsRead {
		t.Errorf("app read: %+v", app)
	}
	if diff := cmp.Diff([]string{".github/workflows/deploy.yml", ".github/workflows/push.yml"}, app.Audit.Workflows); diff != "" {
		t.Errorf("app's workflows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"DEPLOY_HOOK", "PICKED", "PRIVATE_ONLY"}, app.OrgSecrets); diff != "" {
		t.Errorf("organization secrets app sees (-want +got):\n%s", diff)
	}
	var refs []string
	for _, r := range app.Audit.Secrets {
		refs = append(refs, r.Secret+"@"+r.Environment)
	}
	slices.Sort(refs)
	if diff := cmp.Diff([]string{"DEPLOY_HOOK@", "GHCR_PAT@", "PROD_TOKEN@production"}, refs); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if bare := e.Repositories[1]; !bare.WorkflowsRead || len(bare.Audit.Workflows) != 0 {
		t.Errorf("a repository without workflows: %+v", bare)
	}
}

// TestReadUserOwner reads a user's repositories: no organization secrets
// are asked for, through GraphQL or REST.
func TestReadUserOwner(t *testing.T) {
	t.Parallel()
	for _, graphql := range []bool{true, false} {
		est := smallEstate()
		est.Org = false
		est.OrgSecrets = nil
		if !graphql {
			est.NoGraphQL()
		}
		f := newFixture(t, est, ReaderOptions{})
		e := f.read(t, Target{Owner: "acme"})
		if e.Organization || len(e.Repositories) != 3 || len(e.NotVisible) != 0 {
			t.Errorf("graphql %v: organization %v, repositories %v, gaps %+v", graphql, e.Organization, repoNames(e), e.NotVisible)
		}
		for _, r := range f.gh.Requests() {
			if strings.Contains(r.Path, "/orgs/") || strings.HasSuffix(r.Path, "/organization-secrets") {
				t.Errorf("graphql %v: a user has no organization secrets, yet %s was asked", graphql, r.Path)
			}
		}
		if !graphql && (len(e.Notes) != 2 || !strings.Contains(e.Notes[1], "public repositories")) {
			t.Errorf("notes: %v", e.Notes)
		}
	}
}

// TestReadOwnerIncludes reads archived repositories and forks when asked.
func TestReadOwnerIncludes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, smallEstate(), ReaderOptions{})
	e := f.read(t, Target{Owner: "acme", IncludeArchived: true, IncludeForks: true})
	if diff := cmp.Diff([]string{"acme/app", "acme/bare", "acme/fork", "acme/lib", "acme/old"}, repoNames(e)); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
}

// TestReadMaxRepos stops at --max-repos and says the rest was not read.
func TestReadMaxRepos(t *testing.T) {
	t.Parallel()
	f := newFixture(t, smallEstate(), ReaderOptions{PageSize: 1})
	e := f.read(t, Target{Owner: "acme", MaxRepos: 2})
	if len(e.Repositories) != 2 || e.Complete {
		t.Errorf("read %v, complete %v", repoNames(e), e.Complete)
	}
	if len(e.NotVisible) != 1 || !strings.Contains(e.NotVisible[0].Reason, "only the first 2 repositories") {
		t.Errorf("gaps: %+v", e.NotVisible)
	}
}

// TestReadOneRepository reads OWNER/REPO: its workflows and secrets, and
// the organization secrets that reach it.
func TestReadOneRepository(t *testing.T) {
	t.Parallel()
	f := newFixture(t, smallEstate(), ReaderOptions{})
	e := f.read(t, Target{Owner: "acme", Repo: "lib"})
	if diff := cmp.Diff([]string{"acme/lib"}, repoNames(e)); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	if e.Only != "acme/lib" {
		t.Errorf("Only = %q", e.Only)
	}
	// PRIVATE_ONLY does not reach a public repository.
	want := []string{"organization:::DEPLOY_HOOK:all", "organization:::PICKED:selected:acme/app,acme/lib"}
	if diff := cmp.Diff(want, secretKeys(e)); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	_, err := f.reader.Read(t.Context(), Target{Owner: "acme", Repo: "nope"}, testAudit)
	if !errors.Is(err, ErrNoOwner) || !strings.Contains(err.Error(), "acme/nope") {
		t.Errorf("a missing repository: %v", err)
	}
	_, err = f.reader.Read(t.Context(), Target{Owner: "nobody"}, testAudit)
	if !errors.Is(err, ErrNoOwner) || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("a missing owner: %v", err)
	}
}

// TestReadNotVisible: each part the token may not read is a gap naming the
// permission that would show it, and the rest is read.
func TestReadNotVisible(t *testing.T) {
	t.Parallel()
	tests := []struct {
		part, repo, answer string
		wantPart           string
		wantPermission     string
		check              func(t *testing.T, e inventory.Estate)
	}{
		{fake.PartOrgSecrets, "", "secrets-admin-403", inventory.PartOrgSecrets, "admin:org", func(t *testing.T, e inventory.Estate) {
			if e.OrgSecretsRead {
				t.Error("organization secrets read")
			}
			// The organization secrets the repositories see stand in.
			if !slices.Contains(secretKeys(e), "organization:::DEPLOY_HOOK") {
				t.Errorf("secrets: %v", secretKeys(e))
			}
		}},
		{fake.PartSelected, "", "secrets-not-accessible-403", inventory.PartSelected, "organization_secrets=read", nil},
		{fake.PartRepoSecrets, "acme/app", "secrets-not-accessible-pat-403", inventory.PartRepoSecrets, "GitHub's answer asks for secrets=read", func(t *testing.T, e inventory.Estate) {
			if e.Repositories[0].RepoSecretsRead || !e.Repositories[2].RepoSecretsRead {
				t.Error("repository secrets read where refused, or not read where allowed")
			}
		}},
		{fake.PartRepoOrgSecrets, "acme/lib", "secrets-admin-403", inventory.PartRepoOrgSecrets, "repository permission Secrets read", nil},
		{fake.PartEnvironments, "acme/app", "secrets-not-accessible-403", inventory.PartEnvironments, "actions=read", nil},
		{fake.PartEnvSecrets, "acme/app", "secrets-not-accessible-403", inventory.PartEnvironmentSecrets, "Environments read", func(t *testing.T, e inventory.Estate) {
			if g := e.NotVisible[0]; g.Environment != "production" {
				t.Errorf("gap: %+v", g)
			}
			if env := e.Repositories[0].Environments; len(env) != 1 || env[0].SecretsRead {
				t.Errorf("environments: %+v", env)
			}
		}},
		{fake.PartContents, "acme/lib", "secrets-not-accessible-pat-403", inventory.PartWorkflows, "Contents read", func(t *testing.T, e inventory.Estate) {
			if e.Repositories[2].WorkflowsRead || !e.Repositories[0].WorkflowsRead {
				t.Error("workflows read where refused, or not where allowed")
			}
			if !strings.Contains(e.NotVisible[0].Reason, "Resource not accessible by personal access token") {
				t.Errorf("reason: %s", e.NotVisible[0].Reason)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.part, func(t *testing.T) {
			t.Parallel()
			est := smallEstate()
			est.Deny(tc.part, tc.repo, tc.answer)
			e := newFixture(t, est, ReaderOptions{}).read(t, Target{Owner: "acme"})
			if len(e.NotVisible) != 1 {
				t.Fatalf("gaps: %+v", e.NotVisible)
			}
			g := e.NotVisible[0]
			if g.Part != tc.wantPart || !strings.EqualFold(g.Repository, tc.repo) || !strings.Contains(g.Permission, tc.wantPermission) || !strings.Contains(g.Reason, "403") {
				t.Errorf("gap: %+v", g)
			}
			if len(e.Repositories) != 3 {
				t.Errorf("the rest was not read: %v", repoNames(e))
			}
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}

// TestReadPaginates follows Link to the end of every REST list and the
// cursor to the end of the listing.
func TestReadPaginates(t *testing.T) {
	t.Parallel()
	est := smallEstate()
	for i := range 7 {
		est.Repos[0].Secrets = append(est.Repos[0].Secrets, secret("EXTRA_"+string(rune('A'+i)), 1))
		est.Repos[0].Environments = append(est.Repos[0].Environments, fake.EstateEnvironment{Name: "env-" + string(rune('a'+i))})
	}
	est.PerPage(2)
	f := newFixture(t, est, ReaderOptions{PageSize: 1})
	e := f.read(t, Target{Owner: "acme"})
	app := e.Repositories[0]
	if len(app.Environments) != 8 {
		t.Errorf("environments: %d of 8", len(app.Environments))
	}
	n := 0
	for _, s := range e.Secrets {
		if s.Level == inventory.LevelRepository && s.Repository == "acme/app" {
			n++
		}
	}
	if n != 8 {
		t.Errorf("repository secrets: %d of 8", n)
	}
	pages := 0
	for _, r := range f.gh.Requests() {
		if strings.HasSuffix(r.Path, "/repos/acme/app/actions/secrets") {
			pages++
		}
	}
	if pages != 4 {
		t.Errorf("%d pages of secrets read, want 4 of 2", pages)
	}
}

// TestReadRESTFallback reads through REST when the server has no GraphQL
// (404) or its GraphQL takes no fine-grained token (401 with its words).
func TestReadRESTFallback(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"no graphql", "fine-grained refused"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			est := smallEstate()
			if name == "no graphql" {
				est.NoGraphQL()
			}
			f := newFixture(t, est, ReaderOptions{})
			if name != "no graphql" {
				f.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
					if r.URL.Path == "/api/graphql" {
						fake.Recorded("graphql-fine-grained-unsupported-401").Write(w)
						return true
					}
					return false
				})
			}
			e := f.read(t, Target{Owner: "acme"})
			if diff := cmp.Diff([]string{"acme/app", "acme/bare", "acme/lib"}, repoNames(e)); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
			if len(e.Notes) != 1 || !strings.Contains(e.Notes[0], "REST API") {
				t.Errorf("notes: %v", e.Notes)
			}
			app := e.Repositories[0]
			if diff := cmp.Diff([]string{".github/workflows/deploy.yml", ".github/workflows/push.yml"}, app.Audit.Workflows); diff != "" {
				t.Errorf("workflows (-want +got):\n%s", diff)
			}
			if !e.Repositories[1].WorkflowsRead || len(e.Repositories[1].Audit.Workflows) != 0 {
				t.Errorf("the 404 of a repository without workflows is not its answer: %+v", e.Repositories[1])
			}
		})
	}
}

// TestReadTruncatedBlob: a file GraphQL cuts is read whole through REST.
func TestReadTruncatedBlob(t *testing.T) {
	t.Parallel()
	est := smallEstate()
	est.TruncateAt(100)
	f := newFixture(t, est, ReaderOptions{})
	e := f.read(t, Target{Owner: "acme", Repo: "app"})
	refs := 0
	for _, r := range e.Repositories[0].Audit.Secrets {
		if r.Secret == "GHCR_PAT" || r.Secret == "PROD_TOKEN" {
			refs++
		}
	}
	if refs != 2 {
		t.Errorf("the cut files were not read whole: %+v", e.Repositories[0].Audit.Secrets)
	}
	contents := 0
	for _, r := range f.gh.Requests() {
		if strings.Contains(r.Path, "/contents/.github/workflows/") {
			contents++
		}
	}
	if contents != 2 {
		t.Errorf("%d contents requests, want one per cut file (2)", contents)
	}
}

// TestReadBadToken stops at a 401, sends nothing more than it must, and
// never retries it.
func TestReadBadToken(t *testing.T) {
	t.Parallel()
	gh := fake.NewGitHub(t)
	gh.SetEstate(smallEstate())
	api, _ := url.Parse(gh.URL)
	r, _ := NewReader(api, fake.Token("ghp_", "revoked"), nil, transport.DefaultPolicy(), ReaderOptions{})
	_, err := r.Read(t.Context(), Target{Owner: "acme"}, testAudit)
	var bad *facts.BadCredentialsError
	if !errors.As(err, &bad) {
		t.Fatalf("Read = %v, want bad credentials", err)
	}
	if n := len(gh.Requests()); n != 1 {
		t.Errorf("%d requests after a 401, want 1", n)
	}
}

// TestReadRateLimits: GitHub's rate limits are waited out as they ask, the
// read goes on, and a wait longer than the run's bound is a gap that says
// it is a rate limit.
func TestReadRateLimits(t *testing.T) {
	t.Parallel()
	answers := map[string]func(reset time.Time) fake.Answer{
		"secondary 403 with Retry-After": func(time.Time) fake.Answer {
			return fake.Recorded("secondary-rate-limit-403").With("Retry-After", "30")
		},
		"secondary without Retry-After": func(time.Time) fake.Answer {
			return fake.Recorded("secondary-rate-limit-403").Without("Retry-After")
		},
		"429 with Retry-After": func(time.Time) fake.Answer { return fake.Recorded("too-many-requests-429").With("Retry-After", "5") },
		"primary 403": func(reset time.Time) fake.Answer {
			return fake.Recorded("primary-rate-limit-403").With("X-RateLimit-Reset", itoa(reset.Unix()))
		},
		"primary 429": func(reset time.Time) fake.Answer {
			return fake.Recorded("primary-rate-limit-403").WithStatus(429).With("X-RateLimit-Reset", itoa(reset.Unix()))
		},
		"graphql RATE_LIMITED": func(reset time.Time) fake.Answer {
			return fake.Recorded("graphql-rate-limited-200").With("X-RateLimit-Reset", itoa(reset.Unix()))
		},
		"graphql RATE_LIMIT": func(reset time.Time) fake.Answer {
			return fake.Recorded("graphql-rate-limit-200").With("X-RateLimit-Reset", itoa(reset.Unix()))
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
			reset := clock.now.Add(2 * time.Minute)
			f := newFixture(t, smallEstate(), ReaderOptions{Now: clock.Now, Sleep: clock.Sleep})
			graphql := strings.HasPrefix(name, "graphql")
			var limited atomic.Bool // the reader asks side by side
			f.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
				hit := graphql == (r.URL.Path == "/api/graphql") && (graphql || strings.HasSuffix(r.URL.Path, "/repos/acme/app/actions/secrets"))
				if hit && limited.CompareAndSwap(false, true) {
					answer(reset).Write(w)
					return true
				}
				return false
			})
			e := f.read(t, Target{Owner: "acme"})
			if len(e.NotVisible) != 0 || len(e.Repositories) != 3 {
				t.Errorf("the limit was not waited out: gaps %+v, repositories %v", e.NotVisible, repoNames(e))
			}
			if clock.slept() == 0 {
				t.Error("no wait")
			}
			if clock.slept() > 5*time.Minute {
				t.Errorf("waited %s, more than asked", clock.slept())
			}
		})
	}
}

// TestReadRateLimitPastTheBound: a limit that resets after the run's bound
// is not waited for: the part is a gap that names the rate limit and its
// reset, never missing data, and nothing is sent until the reset.
func TestReadRateLimitPastTheBound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, smallEstate(), ReaderOptions{})
	reset := time.Now().Add(time.Hour)
	f.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if strings.HasSuffix(r.URL.Path, "/actions/organization-secrets") {
			fake.Recorded("primary-rate-limit-403").With("X-RateLimit-Reset", itoa(reset.Unix())).Write(w)
			return true
		}
		return false
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	e, err := f.reader.Read(ctx, Target{Owner: "acme"}, testAudit)
	if err != nil {
		t.Fatal(err)
	}
	// Every read after the limit is refused alike until the reset, as
	// GitHub would refuse it: each says so, and none blames the token.
	orgSecrets := false
	for _, g := range e.NotVisible {
		orgSecrets = orgSecrets || g.Part == inventory.PartRepoOrgSecrets
		if !strings.Contains(g.Reason, "rate limit") || !strings.Contains(g.Reason, reset.UTC().Format("15:04")) || g.Permission != "" {
			t.Errorf("gap: %+v", g)
		}
	}
	if !orgSecrets {
		t.Errorf("gaps: %+v", e.NotVisible)
	}
	// Those already in flight when the limit answered were answered alike;
	// none was sent again into the spent limit.
	seen := map[string]bool{}
	for _, r := range f.gh.Requests() {
		if seen[r.Path+"?"+r.Query] && r.Path != "/api/graphql" {
			t.Errorf("%s sent twice into a spent limit", r.Path)
		}
		seen[r.Path+"?"+r.Query] = true
	}
}

// TestReadConcurrencyBounded: requests in flight never pass the bound.
func TestReadConcurrencyBounded(t *testing.T) {
	t.Parallel()
	est := smallEstate()
	for i := range 30 {
		est.Repos = append(est.Repos, &fake.EstateRepo{Name: "svc-" + itoa(int64(i)), Visibility: "private", Files: map[string]string{"push.yml": pushWorkflow}})
	}
	f := newFixture(t, est, ReaderOptions{Concurrency: 3})
	f.gh.SetDelay(5 * time.Millisecond)
	e := f.read(t, Target{Owner: "acme"})
	if len(e.Repositories) != 33 {
		t.Errorf("read %d of 33", len(e.Repositories))
	}
	if in := f.gh.MaxInFlight(); in > 3 || in < 2 {
		t.Errorf("at most %d requests in flight, want 2 or 3", in)
	}
}

func TestNextLink(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`<https://api.github.com/orgs/acme/repos?page=2>; rel="next", <https://api.github.com/orgs/acme/repos?page=5>; rel="last"`: "https://api.github.com/orgs/acme/repos?page=2",
		`<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"`:                            "",
		`<https://api.github.com/x?page=3>; rel="next"`:                                                                            "https://api.github.com/x?page=3",
		``:                                      "",
		`garbage`:                               "",
		`<https://a/x?page=2>; rel="last next"`: "https://a/x?page=2",
		`https://a/x?page=2; rel="next"`:        "",
		`<https://a/x?page=2>; title="next", <>;`: "",
	}
	for in, want := range tests {
		if got := nextLink(in); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGraphQLURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://api.github.com":            "https://api.github.com/graphql",
		"https://api.octo.ghe.com":          "https://api.octo.ghe.com/graphql",
		"https://ghe.example.com/api/v3":    "https://ghe.example.com/api/graphql",
		"https://ghe.example.com/api/v3/":   "https://ghe.example.com/api/graphql",
		"http://127.0.0.1:8080/api/v3":      "http://127.0.0.1:8080/api/graphql",
		"https://ghe.example.com/prefix/v3": "https://ghe.example.com/prefix/v3/api/graphql",
	}
	for in, want := range tests {
		u, _ := url.Parse(in)
		if got := GraphQLURL(u).String(); got != want {
			t.Errorf("GraphQLURL(%s) = %s, want %s", in, got, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fakeClock is the Limiter's clock in tests: a sleep moves it on at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	total time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.total += d
	return nil
}

func (c *fakeClock) slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}
