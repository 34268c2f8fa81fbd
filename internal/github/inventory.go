package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/inventory"
	"github.com/token-gate/token-gate/internal/transport"
)

// Reader reads, and never writes, what the inventory needs of one owner:
// its repositories, each one's workflow files, and its Actions secrets at
// every level, by name and date (their values are never sent). Listing and
// files come from GraphQL, many repositories an answer; secrets from REST,
// every list to its end. Requests in flight are bounded, and GitHub's rate
// limits are honoured by a Limiter. A part the token may not read becomes
// a Gap naming the permission that would show it, and the rest goes on.
type Reader struct {
	client     *http.Client
	api        *url.URL
	graphqlURL *url.URL
	sem        chan struct{}
	cpu        chan struct{}
	opts       ReaderOptions

	mu       sync.Mutex
	progress Progress
}

// ReaderOptions tune a Reader.
type ReaderOptions struct {
	// Concurrency bounds the requests in flight (DefaultConcurrency).
	Concurrency int
	// PageSize is how many repositories one GraphQL answer lists, with
	// their workflows (DefaultPageSize).
	PageSize int
	// Progress, when set, is told how the reading goes.
	Progress func(Progress)
	// Limiter's clock, for tests; nil means the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultConcurrency keeps requests in flight far below the 100 GitHub
// allows (docs/facts.md, "Inventory reads") while a thousand repositories
// read in well under a minute.
const DefaultConcurrency = 12

// DefaultPageSize is how many repositories a GraphQL page holds: 1,000
// repositories in 40 queries, each answer a few workflows each.
const DefaultPageSize = 25

// Progress is how far a read has come.
type Progress struct {
	Owner    string
	Listed   int // repositories listed so far
	Total    int // repositories the owner has, once GitHub said
	Done     int // repositories read whole
	Requests int
	Waiting  string // a rate-limit wait under way, in words
}

// NewReader returns a reader that sends tok only to apiURL's host, where
// the REST and GraphQL APIs both live.
func NewReader(apiURL *url.URL, tok string, base http.RoundTripper, policy transport.Policy, opts ReaderOptions) (*Reader, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	// The Limiter waits out rate limits itself, as long as they ask and
	// the run's bound allows: the retrying layer below waits for none.
	policy.MaxRetryAfter = 0
	r := &Reader{api: apiURL, graphqlURL: GraphQLURL(apiURL), sem: make(chan struct{}, opts.Concurrency), cpu: make(chan struct{}, runtime.GOMAXPROCS(0)), opts: opts}
	limiter := &Limiter{Low: 2 * opts.Concurrency, Now: opts.Now, Sleep: opts.Sleep, OnWait: r.waiting}
	client := transport.NewClient(base, policy, apiURL.Host)
	r.client = transport.Wrap(client, func(next http.RoundTripper) http.RoundTripper {
		limiter.Base = next
		return &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}), Base: limiter}
	})
	return r, nil
}

// Target is what to read: an owner, or one of its repositories.
type Target struct {
	Owner string
	Repo  string // empty for every repository of Owner
	// IncludeArchived and IncludeForks read archived repositories and
	// forks too; they are left out unless asked for.
	IncludeArchived, IncludeForks bool
	// MaxRepos bounds how many repositories are read.
	MaxRepos int
}

// WorkflowFile is one file of .github/workflows as read. Err says why its
// text could not be had (binary, too large); Source is then empty.
type WorkflowFile struct {
	Path   string
	Source []byte
	Err    string
}

// AuditFunc audits one repository's workflow files in memory: it is the
// audit the inventory joins, and it runs while other repositories are
// still being read. It is called from several goroutines at once.
type AuditFunc func(repository string, files []WorkflowFile) (report finding.Report, readsAnySecret bool)

// DefaultMaxRepos bounds a run's repositories unless --max-repos says
// otherwise.
const DefaultMaxRepos = 5000

// ErrNoOwner is an owner GitHub does not show this token.
var ErrNoOwner = errors.New("no such owner")

// Read reads the target. It fails only when nothing can be read: the
// token is refused (401), or the owner is not there; every other refusal
// is a Gap in the estate.
func (r *Reader) Read(ctx context.Context, t Target, audit AuditFunc) (inventory.Estate, error) {
	if t.MaxRepos <= 0 {
		t.MaxRepos = DefaultMaxRepos
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	run := &readRun{r: r, t: t, audit: audit, cancel: cancel, e: inventory.Estate{Owner: t.Owner}}
	r.setProgress(func(p *Progress) { p.Owner = t.Owner })
	var err error
	if t.Repo != "" {
		run.e.Only = t.Owner + "/" + t.Repo
		err = run.one(ctx)
	} else {
		err = run.owner(ctx)
	}
	run.wg.Wait()
	var bad *facts.BadCredentialsError
	if cause := context.Cause(ctx); errors.As(cause, &bad) {
		return inventory.Estate{}, cause
	}
	if err != nil {
		return inventory.Estate{}, err
	}
	return run.finish(), nil
}

// readRun is one Read: the estate as it fills, and its repository tasks.
type readRun struct {
	r      *Reader
	t      Target
	audit  AuditFunc
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	// pageSize is the listing's page, halved when GitHub times out.
	pageSize int

	mu sync.Mutex
	e  inventory.Estate
	// orgFromRepos is filled by the repositories' lists, to stand in for
	// the organization's own list when that is not visible.
	orgFromRepos map[string]inventory.Secret
}

func (run *readRun) gap(g inventory.Gap) {
	run.mu.Lock()
	defer run.mu.Unlock()
	run.e.NotVisible = append(run.e.NotVisible, g)
}

func (run *readRun) note(s string) {
	run.mu.Lock()
	defer run.mu.Unlock()
	if !slices.Contains(run.e.Notes, s) {
		run.e.Notes = append(run.e.Notes, s)
	}
}

// fatal stops the run when the token itself is refused: every other read
// would be refused alike, and a 401 is never retried.
func (run *readRun) fatal(err error) bool {
	var bad *facts.BadCredentialsError
	if errors.As(err, &bad) {
		run.cancel(err)
		return true
	}
	return false
}

// listed is a repository as the listing gives it, with its files when
// the listing carried them.
type listed struct {
	name       string
	visibility string
	archived   bool
	fork       bool
	files      []WorkflowFile
	// filesRead: the listing answered for the files (none is an answer);
	// truncated names those whose text it cut.
	filesRead bool
	filesErr  error
	truncated []string
}

// owner reads every repository of the owner.
func (run *readRun) owner(ctx context.Context) error {
	page, kind, err := run.graphQLPage(ctx, "")
	var unavailable *ErrGraphQLUnavailable
	switch {
	case errors.As(err, &unavailable):
		run.note("Repositories and workflows were read through the REST API: " + unavailable.Error() + ".")
		return run.ownerREST(ctx)
	case err != nil:
		return err
	}
	run.setKind(ctx, kind)
	complete := true
	count := 0
	for {
		for _, l := range page.repos {
			if count >= run.t.MaxRepos {
				complete = false
				break
			}
			if run.include(l) {
				count++
				run.start(ctx, l)
			}
		}
		if !complete || page.next == "" {
			break
		}
		page, _, err = run.graphQLPage(ctx, page.next)
		if err != nil {
			if run.fatal(err) {
				return nil
			}
			run.gap(gapFrom(inventory.PartRepositories, "", "", "", err))
			complete = false
			break
		}
	}
	run.endListing(count, complete)
	return nil
}

// endListing records whether every repository was listed, and, when
// --max-repos is why not, says so as a Gap.
func (run *readRun) endListing(count int, complete bool) {
	if !complete && count >= run.t.MaxRepos {
		run.gap(inventory.Gap{Part: inventory.PartRepositories, Reason: fmt.Sprintf("only the first %d repositories were read (--max-repos / max-repos); the rest are not in this inventory", run.t.MaxRepos)})
	}
	run.mu.Lock()
	run.e.Complete = complete
	run.mu.Unlock()
}

// setKind records what kind of account the owner is, and starts reading
// an organization's own secrets beside the repositories.
func (run *readRun) setKind(ctx context.Context, kind string) {
	run.mu.Lock()
	run.e.Organization = kind == "Organization"
	run.mu.Unlock()
	if kind == "Organization" {
		run.wg.Add(1)
		go func() {
			defer run.wg.Done()
			run.orgSecrets(ctx)
		}()
	}
}

// include says whether a listed repository is read, and records it among
// the skipped when not: forks and archived ones only when asked for.
func (run *readRun) include(l listed) bool {
	if (l.archived && !run.t.IncludeArchived) || (l.fork && !run.t.IncludeForks) {
		run.mu.Lock()
		run.e.Skipped = append(run.e.Skipped, inventory.Repository{Name: l.name, Visibility: l.visibility, Archived: l.archived})
		run.mu.Unlock()
		return false
	}
	run.r.setProgress(func(p *Progress) { p.Listed++ })
	return true
}

// one reads a single repository.
func (run *readRun) one(ctx context.Context) error {
	ans, err := run.r.graphql(ctx, QueryRepository, map[string]any{"owner": run.t.Owner, "name": run.t.Repo})
	var unavailable *ErrGraphQLUnavailable
	switch {
	case errors.As(err, &unavailable):
		run.note("The repository and its workflows were read through the REST API: " + unavailable.Error() + ".")
		kind, err := run.r.ownerKind(ctx, run.t.Owner)
		if err != nil {
			return err
		}
		run.setKind(ctx, kind)
		var repo restRepo
		if _, err := run.r.getJSON(ctx, run.r.rest("repos", run.t.Owner, run.t.Repo), &repo); err != nil {
			if notFound(err) {
				return fmt.Errorf("%w: GitHub shows this token no repository %s/%s", ErrNoOwner, run.t.Owner, run.t.Repo)
			}
			return err
		}
		run.start(ctx, listed{name: repo.FullName, visibility: repo.visibility()})
		return nil
	case err != nil:
		return err
	}
	var data struct {
		RepositoryOwner *struct {
			Typename string `json:"__typename"`
		} `json:"repositoryOwner"`
		Repository *gqlRepository `json:"repository"`
	}
	if err := json.Unmarshal(ans.Data, &data); err != nil {
		return fmt.Errorf("GitHub's GraphQL answer could not be read: %v", err)
	}
	if data.RepositoryOwner == nil || data.Repository == nil {
		return fmt.Errorf("%w: GitHub shows this token no repository %s/%s%s", ErrNoOwner, run.t.Owner, run.t.Repo, errorWords(ans.Errors))
	}
	run.setKind(ctx, data.RepositoryOwner.Typename)
	l := data.Repository.listed()
	if e := errorAt(ans.Errors, "repository", "workflows"); e != nil {
		l.filesRead, l.filesErr = false, gqlRefusal(*e)
	}
	run.start(ctx, l)
	return nil
}

// page is one page of the listing.
type page struct {
	repos []listed
	next  string // the cursor of the next page; empty at the end
}

// graphQLPage reads one page of repositories with their workflows.
func (run *readRun) graphQLPage(ctx context.Context, after string) (page, string, error) {
	for {
		p, kind, err := run.graphQLPageOf(ctx, after)
		var un *facts.UnreachableError
		if !errors.As(err, &un) || un.Status < 500 || run.pageSize <= minPageSize || ctx.Err() != nil {
			return p, kind, err
		}
		// GitHub ends a GraphQL query that runs past its time with a 502
		// or 504: a page of fewer repositories, fewer files, may fit.
		run.pageSize = max(run.pageSize/2, minPageSize)
		run.note(fmt.Sprintf("GitHub's GraphQL API answered %d for a page of repositories; pages of %d were read instead.", un.Status, run.pageSize))
	}
}

// minPageSize is the smallest page the listing falls back to.
const minPageSize = 5

func (run *readRun) graphQLPageOf(ctx context.Context, after string) (page, string, error) {
	if run.pageSize == 0 {
		run.pageSize = run.r.opts.PageSize
	}
	vars := map[string]any{"owner": run.t.Owner, "first": run.pageSize, "after": nil}
	if after != "" {
		vars["after"] = after
	}
	ans, err := run.r.graphql(ctx, QueryOwnerRepositories, vars)
	if err != nil {
		return page{}, "", err
	}
	var data struct {
		RepositoryOwner *struct {
			Typename     string `json:"__typename"`
			Repositories *struct {
				TotalCount int `json:"totalCount"`
				PageInfo   struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
				Nodes []*gqlRepository `json:"nodes"`
			} `json:"repositories"`
		} `json:"repositoryOwner"`
	}
	if err := json.Unmarshal(ans.Data, &data); err != nil {
		return page{}, "", fmt.Errorf("GitHub's GraphQL answer could not be read: %v", err)
	}
	owner := data.RepositoryOwner
	if owner == nil {
		return page{}, "", fmt.Errorf("%w: GitHub shows this token no organization or user named %s%s", ErrNoOwner, run.t.Owner, errorWords(ans.Errors))
	}
	if owner.Repositories == nil {
		return page{}, "", gqlRefusalOr(ans.Errors, "the repositories were not listed")
	}
	run.r.setProgress(func(p *Progress) { p.Total = owner.Repositories.TotalCount })
	var out page
	for i, n := range owner.Repositories.Nodes {
		if n == nil {
			continue // a repository the token may not see
		}
		l := n.listed()
		if e := errorAt(ans.Errors, "repositoryOwner", "repositories", "nodes", i, "workflows"); e != nil {
			l.filesRead, l.filesErr = false, gqlRefusal(*e)
		}
		out.repos = append(out.repos, l)
	}
	if owner.Repositories.PageInfo.HasNextPage {
		out.next = owner.Repositories.PageInfo.EndCursor
		if out.next == "" || out.next == after {
			return out, owner.Typename, fmt.Errorf("GitHub's listing gave no new cursor after %q", after)
		}
	}
	return out, owner.Typename, nil
}

// gqlRepository is a repository as RepositoryFields reads it.
type gqlRepository struct {
	NameWithOwner string `json:"nameWithOwner"`
	Visibility    string `json:"visibility"`
	IsArchived    bool   `json:"isArchived"`
	IsFork        bool   `json:"isFork"`
	Workflows     *struct {
		Typename string `json:"__typename"`
		Entries  []struct {
			Name   string `json:"name"`
			Type   string `json:"type"`
			Mode   int    `json:"mode"`
			Object *struct {
				Typename    string  `json:"__typename"`
				ByteSize    int     `json:"byteSize"`
				IsBinary    *bool   `json:"isBinary"`
				IsTruncated bool    `json:"isTruncated"`
				Text        *string `json:"text"`
			} `json:"object"`
		} `json:"entries"`
	} `json:"workflows"`
}

// symlinkMode is a tree entry's mode for a symbolic link (0o120000).
const symlinkMode = 0o120000

func (g *gqlRepository) listed() listed {
	l := listed{name: g.NameWithOwner, visibility: strings.ToLower(g.Visibility), archived: g.IsArchived, fork: g.IsFork, filesRead: true}
	if g.Workflows == nil || g.Workflows.Typename != "Tree" {
		return l // no .github/workflows at HEAD, or an empty repository
	}
	for _, e := range g.Workflows.Entries {
		if e.Type != "blob" || !isWorkflowName(e.Name) || e.Mode == symlinkMode {
			continue // GitHub runs only files directly in the folder
		}
		f := WorkflowFile{Path: path.Join(".github/workflows", e.Name)}
		switch o := e.Object; {
		case o == nil || o.Typename != "Blob":
			f.Err = "its content could not be read"
		case o.IsTruncated:
			l.truncated = append(l.truncated, e.Name)
			continue
		case o.Text == nil || (o.IsBinary != nil && *o.IsBinary):
			f.Err = "it is not text"
		default:
			f.Source = []byte(*o.Text)
		}
		l.files = append(l.files, f)
	}
	return l
}

func isWorkflowName(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

// errorAt finds the GraphQL error whose path begins with want.
func errorAt(errs []gqlError, want ...any) *gqlError {
	for i, e := range errs {
		if len(e.Path) < len(want) {
			continue
		}
		match := true
		for k, w := range want {
			switch w := w.(type) {
			case int:
				n, ok := e.Path[k].(float64)
				match = match && ok && int(n) == w
			default:
				match = match && e.Path[k] == w
			}
		}
		if match {
			return &errs[i]
		}
	}
	return nil
}

// gqlRefusal turns an error placed on one field into the facts package's.
func gqlRefusal(e gqlError) error {
	if e.Type == "FORBIDDEN" && samlFailure(e) {
		return &facts.SSOError{Message: e.Message}
	}
	if isRateLimitType(e) {
		return &facts.RateLimitError{Message: e.Message}
	}
	return &facts.APIError{Status: http.StatusForbidden, Message: e.Message}
}

func gqlRefusalOr(errs []gqlError, fallback string) error {
	if len(errs) > 0 {
		return gqlRefusal(errs[0])
	}
	return errors.New(fallback)
}

func errorWords(errs []gqlError) string {
	if len(errs) == 0 {
		return ""
	}
	return " (GitHub: " + errs[0].Message + ")"
}

// start reads one listed repository in the background: its truncated
// files, the audit, and its secrets.
func (run *readRun) start(ctx context.Context, l listed) {
	run.wg.Add(1)
	go func() {
		defer run.wg.Done()
		repo := run.repository(ctx, l)
		run.mu.Lock()
		run.e.Repositories = append(run.e.Repositories, repo)
		run.mu.Unlock()
		run.r.setProgress(func(p *Progress) { p.Done++ })
	}()
}

// repository reads what one repository holds besides its listing.
func (run *readRun) repository(ctx context.Context, l listed) inventory.Repository {
	repo := inventory.Repository{Name: l.name, Visibility: l.visibility, Archived: l.archived}
	owner, name, _ := strings.Cut(l.name, "/")
	files, err := run.files(ctx, owner, name, l)
	switch {
	case err != nil:
		if !run.fatal(err) {
			run.gap(gapFrom(inventory.PartWorkflows, l.name, "", "", err))
		}
	case run.audit != nil:
		run.r.cpu <- struct{}{}
		repo.Audit, repo.ReadsAnySecret = run.audit(l.name, files)
		<-run.r.cpu
		repo.WorkflowsRead = true
	default:
		repo.WorkflowsRead = true
	}
	run.repoSecrets(ctx, &repo, owner, name)
	return repo
}

// files returns a repository's workflow files: the listing's, with those
// it cut read through REST, or all of them through REST when the listing
// did not carry them.
func (run *readRun) files(ctx context.Context, owner, name string, l listed) ([]WorkflowFile, error) {
	if l.filesErr != nil {
		return nil, l.filesErr
	}
	files := l.files
	if !l.filesRead {
		var err error
		if files, err = run.r.restFiles(ctx, owner, name); err != nil {
			return nil, err
		}
	}
	for _, n := range l.truncated {
		files = append(files, run.r.restFile(ctx, owner, name, n))
	}
	slices.SortFunc(files, func(a, b WorkflowFile) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// repoSecrets reads a repository's secrets: its own, the organization's
// it can see, and each environment's.
func (run *readRun) repoSecrets(ctx context.Context, repo *inventory.Repository, owner, name string) {
	var secrets []inventory.Secret
	add := func(level inventory.Level, env string, list []restSecret) {
		for _, s := range list {
			secrets = append(secrets, s.secret(level, repo.Name, env))
		}
	}
	if list, err := run.r.listSecrets(ctx, run.r.rest("repos", owner, name, "actions", "secrets")); err == nil {
		repo.RepoSecretsRead = true
		add(inventory.LevelRepository, "", list)
	} else if !run.fatal(err) {
		run.gap(gapFrom(inventory.PartRepoSecrets, repo.Name, "", "", err))
	}
	run.mu.Lock()
	org := run.e.Organization
	run.mu.Unlock()
	if org {
		if list, err := run.r.listSecrets(ctx, run.r.rest("repos", owner, name, "actions", "organization-secrets")); err == nil {
			repo.OrgSecretsRead = true
			for _, s := range list {
				repo.OrgSecrets = append(repo.OrgSecrets, s.Name)
			}
			run.mu.Lock()
			if run.orgFromRepos == nil {
				run.orgFromRepos = map[string]inventory.Secret{}
			}
			for _, s := range list {
				run.orgFromRepos[strings.ToUpper(s.Name)] = s.secret(inventory.LevelOrganization, "", "")
			}
			run.mu.Unlock()
		} else if !run.fatal(err) {
			run.gap(gapFrom(inventory.PartRepoOrgSecrets, repo.Name, "", "", err))
		}
	}
	envs, err := run.r.environments(ctx, owner, name)
	switch {
	case err == nil:
		repo.EnvironmentsRead = true
		for _, env := range envs {
			e := inventory.Environment{Name: env}
			if list, err := run.r.listSecrets(ctx, run.r.rest("repos", owner, name, "environments", env, "secrets")); err == nil {
				e.SecretsRead = true
				add(inventory.LevelEnvironment, env, list)
			} else if !run.fatal(err) {
				run.gap(gapFrom(inventory.PartEnvironmentSecrets, repo.Name, env, "", err))
			}
			repo.Environments = append(repo.Environments, e)
		}
	case !run.fatal(err):
		run.gap(gapFrom(inventory.PartEnvironments, repo.Name, "", "", err))
	}
	run.mu.Lock()
	run.e.Secrets = append(run.e.Secrets, secrets...)
	run.mu.Unlock()
}

// orgSecrets reads the organization's secrets, and the repositories each
// selected one reaches.
func (run *readRun) orgSecrets(ctx context.Context) {
	list, err := run.r.listSecrets(ctx, run.r.rest("orgs", run.t.Owner, "actions", "secrets"))
	if err != nil {
		if !run.fatal(err) {
			run.gap(gapFrom(inventory.PartOrgSecrets, "", "", "", err))
		}
		return
	}
	secrets := make([]inventory.Secret, len(list))
	var wg sync.WaitGroup
	for i, s := range list {
		secrets[i] = s.secret(inventory.LevelOrganization, "", "")
		if s.Visibility != "selected" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			names, err := run.r.selected(ctx, run.t.Owner, s.Name)
			if err != nil {
				if !run.fatal(err) {
					run.gap(gapFrom(inventory.PartSelected, "", "", s.Name, err))
				}
				return
			}
			slices.Sort(names)
			secrets[i].Selected, secrets[i].SelectedRead = names, true
		}()
	}
	wg.Wait()
	run.mu.Lock()
	run.e.OrgSecretsRead = true
	run.e.Secrets = append(run.e.Secrets, secrets...)
	run.mu.Unlock()
}

// finish completes the estate: when the organization's own list could not
// be read, the organization secrets the repositories showed stand in for
// it, with what is known of them; in a one-repository run, only the
// organization secrets that may reach that repository are kept.
func (run *readRun) finish() inventory.Estate {
	e := run.e
	if e.Organization && !e.OrgSecretsRead {
		names := make([]string, 0, len(run.orgFromRepos))
		for n := range run.orgFromRepos {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			e.Secrets = append(e.Secrets, run.orgFromRepos[n])
		}
	}
	if e.Only != "" && len(e.Repositories) == 1 {
		r := &e.Repositories[0]
		e.Secrets = slices.DeleteFunc(e.Secrets, func(s inventory.Secret) bool {
			reaches, known := inventory.Reaches(s, r)
			return s.Level == inventory.LevelOrganization && known && !reaches
		})
	}
	slices.SortFunc(e.Repositories, func(a, b inventory.Repository) int { return strings.Compare(a.Name, b.Name) })
	return e
}

func (r *Reader) setProgress(f func(*Progress)) {
	r.mu.Lock()
	f(&r.progress)
	p := r.progress
	r.mu.Unlock()
	if r.opts.Progress != nil {
		r.opts.Progress(p)
	}
}

func (r *Reader) waiting(d time.Duration, why string) {
	r.setProgress(func(p *Progress) { p.Waiting = fmt.Sprintf("%s: waiting %s", why, d.Round(time.Second)) })
}
