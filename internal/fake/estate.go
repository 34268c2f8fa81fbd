package fake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Estate is an owner's repositories, workflow files and Actions secrets,
// served by the fake GitHub as the REST and GraphQL APIs serve them, for
// the inventory. Every answer's shape is GitHub's OpenAPI description's
// (for REST, checked by internal/github's TestFakeAnswersMatchOpenAPI) or
// its GraphQL schema's (TestFakeGraphQLAnswersMatchTheSchema); refusals are
// recorded answers from testdata/answers, each naming its source.
type Estate struct {
	Owner string
	// Org makes the owner an organization; otherwise a user.
	Org        bool
	Repos      []*EstateRepo
	OrgSecrets []EstateOrgSecret

	mu sync.Mutex
	// deny holds the parts the token may not read: part → repository
	// ("" for all) → the recorded answer given instead.
	deny map[string]map[string]string
	// noGraphQL makes /api/graphql answer 404, as a server without it.
	noGraphQL bool
	// perPage caps per_page, to force pagination.
	perPage int
	// truncateAt makes GraphQL cut a blob's text past this many bytes, as
	// GitHub does for large ones (0: never).
	truncateAt int
	// budgets are the primary rate limits' remaining requests.
	budgets map[string]int
	reset   time.Time
	repoIDs map[string]int
}

// EstateRepo is one repository of an Estate.
type EstateRepo struct {
	Name       string // without the owner
	Visibility string // public, private or internal
	Archived   bool
	Fork       bool
	// Files are .github/workflows' files by name; nil for a repository
	// without the folder.
	Files        map[string]string
	Secrets      []EstateSecret
	Environments []EstateEnvironment
}

// EstateSecret is a secret's name and dates; the fake holds no value.
type EstateSecret struct {
	Name    string
	Created time.Time
	Updated time.Time
}

// EstateEnvironment is a deployment environment with its secrets.
type EstateEnvironment struct {
	Name    string
	Secrets []EstateSecret
}

// EstateOrgSecret is an organization secret and which repositories it
// reaches.
type EstateOrgSecret struct {
	EstateSecret
	Visibility string // all, private or selected
	Selected   []string
}

// The parts Deny refuses, named as GitHub's endpoints are.
const (
	PartOrgSecrets     = "org-secrets"      // GET /orgs/O/actions/secrets
	PartSelected       = "selected"         // GET /orgs/O/actions/secrets/NAME/repositories
	PartRepoSecrets    = "repo-secrets"     // GET /repos/O/R/actions/secrets
	PartRepoOrgSecrets = "repo-org-secrets" // GET /repos/O/R/actions/organization-secrets
	PartEnvironments   = "environments"     // GET /repos/O/R/environments
	PartEnvSecrets     = "env-secrets"      // GET /repos/O/R/environments/E/secrets
	PartContents       = "contents"         // the workflows, GraphQL or REST
)

// SetEstate makes the fake serve e, and know its owner.
func (g *GitHub) SetEstate(e *Estate) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.estate = e
	if e.Org {
		g.orgs[strings.ToLower(e.Owner)] = Org{}
	} else {
		g.users[strings.ToLower(e.Owner)] = true
	}
}

// Deny makes the token unable to read a part of repo (OWNER/NAME; "" for
// every one), answered with the recorded answer named.
func (e *Estate) Deny(part, repo, answer string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.deny == nil {
		e.deny = map[string]map[string]string{}
	}
	if e.deny[part] == nil {
		e.deny[part] = map[string]string{}
	}
	e.deny[part][strings.ToLower(repo)] = answer
}

// NoGraphQL makes the GraphQL endpoint answer 404.
func (e *Estate) NoGraphQL() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.noGraphQL = true
}

// PerPage caps per_page, to force pagination in tests.
func (e *Estate) PerPage(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.perPage = n
}

// TruncateAt makes GraphQL cut blobs larger than n bytes.
func (e *Estate) TruncateAt(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.truncateAt = n
}

// SetBudget sets a primary limit's remaining requests ("core" or
// "graphql") and its reset.
func (e *Estate) SetBudget(resource string, remaining int, reset time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.budgets == nil {
		e.budgets = map[string]int{}
	}
	e.budgets[resource], e.reset = remaining, reset
}

func (e *Estate) denied(part, repo string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if a, ok := e.deny[part][strings.ToLower(repo)]; ok {
		return a, true
	}
	a, ok := e.deny[part][""]
	return a, ok
}

// Repo finds a repository by name, without regard to case.
func (e *Estate) Repo(name string) *EstateRepo {
	for _, r := range e.Repos {
		if strings.EqualFold(r.Name, name) {
			return r
		}
	}
	return nil
}

// rateHeaders spends one request of a resource and writes GitHub's
// X-RateLimit-* headers, 5,000 an hour as for an authenticated user (GitHub
// docs, "Rate limits for the REST API": "Checking the status of your rate
// limit"; docs/facts.md, "Headers"); it reports false when the budget was
// already spent.
func (e *Estate) rateHeaders(w http.ResponseWriter, resource string) bool {
	e.mu.Lock()
	if e.budgets == nil {
		e.budgets = map[string]int{}
	}
	if _, ok := e.budgets[resource]; !ok {
		e.budgets[resource] = 5000
	}
	if e.reset.IsZero() {
		e.reset = time.Now().Add(time.Hour).Truncate(time.Second)
	}
	left := e.budgets[resource]
	if left > 0 {
		e.budgets[resource]--
	}
	reset := e.reset
	e.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(left-1, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(5000-max(left-1, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", resource)
	return left > 0
}

// serve answers the estate's endpoints, and reports whether path was one.
func (e *Estate) serve(w http.ResponseWriter, r *http.Request, apiPath, body string) bool {
	if r.URL.Path == "/api/graphql" {
		e.serveGraphQL(w, r, body)
		return true
	}
	if r.Method != http.MethodGet {
		return false
	}
	parts := strings.Split(strings.Trim(apiPath, "/"), "/")
	for i, p := range parts {
		parts[i], _ = url.PathUnescape(p)
	}
	owner := func(o string) bool { return strings.EqualFold(o, e.Owner) }
	switch {
	case len(parts) == 4 && parts[0] == "orgs" && owner(parts[1]) && parts[2] == "actions" && parts[3] == "secrets":
		e.orgSecrets(w, r)
	case len(parts) == 6 && parts[0] == "orgs" && owner(parts[1]) && parts[2] == "actions" && parts[3] == "secrets" && parts[5] == "repositories":
		e.selected(w, r, parts[4])
	case len(parts) == 3 && (parts[0] == "orgs" || parts[0] == "users") && owner(parts[1]) && parts[2] == "repos":
		e.repoList(w, r)
	case len(parts) >= 4 && parts[0] == "repos" && owner(parts[1]):
		repo := e.Repo(parts[2])
		if repo == nil {
			return false
		}
		full := e.Owner + "/" + repo.Name
		switch rest := parts[3:]; {
		case len(rest) == 2 && rest[0] == "actions" && rest[1] == "secrets":
			e.secretList(w, r, PartRepoSecrets, full, repo.Secrets)
		case len(rest) == 2 && rest[0] == "actions" && rest[1] == "organization-secrets":
			e.secretList(w, r, PartRepoOrgSecrets, full, e.visibleOrgSecrets(repo))
		case len(rest) == 1 && rest[0] == "environments":
			e.environments(w, r, full, repo)
		case len(rest) == 3 && rest[0] == "environments" && rest[2] == "secrets":
			env := repo.environment(rest[1])
			if env == nil {
				e.write(w, "core", Recorded("not-found-404"))
				return true
			}
			e.secretList(w, r, PartEnvSecrets, full, env.Secrets)
		case len(rest) >= 2 && rest[0] == "contents":
			e.contents(w, r, full, repo, path.Join(rest[1:]...))
		default:
			return false
		}
	default:
		return false
	}
	return true
}

func (r *EstateRepo) environment(name string) *EstateEnvironment {
	for i := range r.Environments {
		if strings.EqualFold(r.Environments[i].Name, name) {
			return &r.Environments[i]
		}
	}
	return nil
}

// visibleOrgSecrets are the organization secrets a repository can see:
// all, private ones for private and internal repositories, and selected
// ones that list it (GitHub docs, "Using secrets in GitHub Actions").
func (e *Estate) visibleOrgSecrets(r *EstateRepo) []EstateSecret {
	var out []EstateSecret
	for _, s := range e.OrgSecrets {
		switch {
		case s.Visibility == "all",
			s.Visibility == "private" && r.Visibility != "public",
			s.Visibility == "selected" && slices.ContainsFunc(s.Selected, func(n string) bool { return strings.EqualFold(n, r.Name) }):
			out = append(out, s.EstateSecret)
		}
	}
	return out
}

// write sends a recorded answer with the rate-limit headers of a resource.
func (e *Estate) write(w http.ResponseWriter, resource string, a Answer) {
	if !e.rateHeaders(w, resource) {
		a = Recorded("primary-rate-limit-403")
		delete(a.Headers, "X-RateLimit-Reset") // keep the budget's own
	}
	a.Write(w)
}

// writeJSON sends a 200 with a JSON body, the rate-limit headers and, for
// a page of a list, its Link (GitHub docs, "Using pagination in the REST
// API"). The body's shape is the endpoint's 200 in GitHub's OpenAPI
// description (@octokit/openapi, api.github.com.json), which
// TestFakeAnswersMatchOpenAPI holds it to; its Content-Type is the one
// every recorded api.github.com answer in testdata/answers carries.
func (e *Estate) writeJSON(w http.ResponseWriter, resource string, v any, link string) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	a := Answer{Status: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}, Body: string(data)}
	if link != "" {
		a.Headers["Link"] = link
	}
	e.write(w, resource, a)
}

// refuse answers a denied part with its recorded refusal, and reports
// whether it did.
func (e *Estate) refuse(w http.ResponseWriter, part, repo string) bool {
	answer, ok := e.denied(part, repo)
	if !ok {
		return false
	}
	a := Recorded(answer)
	if strings.Contains(a.Body, "PERMISSION") || strings.Contains(a.Headers["X-Accepted-GitHub-Permissions"], "PERMISSION") {
		a = a.Fill("PERMISSION", acceptedPermission[part])
	}
	e.write(w, "core", a)
	return true
}

// acceptedPermission is what X-Accepted-GitHub-Permissions names for each
// part: the fine-grained permission of GitHub's table ("Permissions
// required for fine-grained personal access tokens").
var acceptedPermission = map[string]string{
	PartOrgSecrets:     "organization_secrets=read",
	PartSelected:       "organization_secrets=read",
	PartRepoSecrets:    "secrets=read",
	PartRepoOrgSecrets: "secrets=read",
	PartEnvironments:   "actions=read",
	PartEnvSecrets:     "environments=read",
	PartContents:       "contents=read",
}

// page cuts a list to the page the request asks for (per_page at most
// 100, default 30, as each list endpoint's parameters say) and returns its
// Link header, rel="next" and rel="last" (GitHub docs, "Using pagination
// in the REST API").
func (e *Estate) page(r *http.Request, n int) (from, to int, link string) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	e.mu.Lock()
	if e.perPage > 0 {
		per = min(per, e.perPage)
	}
	e.mu.Unlock()
	pg, err := strconv.Atoi(q.Get("page"))
	if err != nil || pg < 1 {
		pg = 1
	}
	from, to = min((pg-1)*per, n), min(pg*per, n)
	last := max((n+per-1)/per, 1)
	if pg < last {
		at := func(p int) string {
			u := *r.URL
			u.Scheme, u.Host = "http", r.Host
			v := u.Query()
			v.Set("page", strconv.Itoa(p))
			u.RawQuery = v.Encode()
			return u.String()
		}
		link = fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, at(pg+1), at(last))
	}
	return from, to, link
}

// secretJSON is GitHub's actions-secret (organization-actions-secret with
// visibility): name and dates, never a value.
type secretJSON struct {
	Name                    string `json:"name"`
	CreatedAt               string `json:"created_at"`
	UpdatedAt               string `json:"updated_at"`
	Visibility              string `json:"visibility,omitempty"`
	SelectedRepositoriesURL string `json:"selected_repositories_url,omitempty"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// secretList answers a repository's or environment's secrets: GitHub's
// "List repository secrets", "List repository organization secrets" and
// "List environment secrets", {total_count, secrets: [actions-secret]}
// (https://docs.github.com/rest/actions/secrets, and these operations in
// @octokit/openapi).
func (e *Estate) secretList(w http.ResponseWriter, r *http.Request, part, repo string, secrets []EstateSecret) {
	if e.refuse(w, part, repo) {
		return
	}
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b EstateSecret) int { return strings.Compare(a.Name, b.Name) })
	from, to, link := e.page(r, len(sorted))
	out := []secretJSON{}
	for _, s := range sorted[from:to] {
		out = append(out, secretJSON{Name: s.Name, CreatedAt: stamp(s.Created), UpdatedAt: stamp(s.Updated)})
	}
	e.writeJSON(w, "core", map[string]any{"total_count": len(sorted), "secrets": out}, link)
}

// orgSecrets answers "List organization secrets": {total_count, secrets:
// [organization-actions-secret]}
// (https://docs.github.com/rest/actions/secrets#list-organization-secrets).
func (e *Estate) orgSecrets(w http.ResponseWriter, r *http.Request) {
	if e.refuse(w, PartOrgSecrets, "") {
		return
	}
	sorted := slices.Clone(e.OrgSecrets)
	slices.SortFunc(sorted, func(a, b EstateOrgSecret) int { return strings.Compare(a.Name, b.Name) })
	from, to, link := e.page(r, len(sorted))
	out := []secretJSON{}
	for _, s := range sorted[from:to] {
		j := secretJSON{Name: s.Name, CreatedAt: stamp(s.Created), UpdatedAt: stamp(s.Updated), Visibility: s.Visibility}
		if s.Visibility == "selected" {
			j.SelectedRepositoriesURL = fmt.Sprintf("https://api.github.com/orgs/%s/actions/secrets/%s/repositories", e.Owner, s.Name)
		}
		out = append(out, j)
	}
	e.writeJSON(w, "core", map[string]any{"total_count": len(sorted), "secrets": out}, link)
}

// selected answers "List selected repositories for an organization
// secret": {total_count, repositories: [minimal-repository]}
// (https://docs.github.com/rest/actions/secrets#list-selected-repositories-for-an-organization-secret).
func (e *Estate) selected(w http.ResponseWriter, r *http.Request, name string) {
	if e.refuse(w, PartSelected, "") {
		return
	}
	var s *EstateOrgSecret
	for i := range e.OrgSecrets {
		if strings.EqualFold(e.OrgSecrets[i].Name, name) {
			s = &e.OrgSecrets[i]
		}
	}
	if s == nil {
		e.write(w, "core", Recorded("not-found-404"))
		return
	}
	var repos []*EstateRepo
	for _, n := range s.Selected {
		if repo := e.Repo(n); repo != nil {
			repos = append(repos, repo)
		}
	}
	from, to, link := e.page(r, len(repos))
	out := []map[string]any{}
	for _, repo := range repos[from:to] {
		out = append(out, e.minimalRepository(repo))
	}
	e.writeJSON(w, "core", map[string]any{"total_count": len(repos), "repositories": out}, link)
}

// repoList answers "List organization repositories" or "List repositories
// for a user": [minimal-repository], sorted as asked (created by default;
// here by name, which the fake also creates them in)
// (https://docs.github.com/rest/repos/repos#list-organization-repositories,
// #list-repositories-for-a-user).
func (e *Estate) repoList(w http.ResponseWriter, r *http.Request) {
	repos := e.sortedRepos()
	from, to, link := e.page(r, len(repos))
	out := []map[string]any{}
	for _, repo := range repos[from:to] {
		out = append(out, e.minimalRepository(repo))
	}
	e.writeJSON(w, "core", out, link)
}

func (e *Estate) sortedRepos() []*EstateRepo {
	repos := slices.Clone(e.Repos)
	slices.SortFunc(repos, func(a, b *EstateRepo) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return repos
}

func (e *Estate) repoID(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.repoIDs == nil {
		e.repoIDs = map[string]int{}
	}
	id, ok := e.repoIDs[strings.ToLower(name)]
	if !ok {
		id = 1296269 + len(e.repoIDs)
		e.repoIDs[strings.ToLower(name)] = id
	}
	return id
}

// minimalRepository is GitHub's minimal-repository with every field its
// schema requires, URLs in GitHub's own patterns (GitHub docs, "List
// organization repositories", response example).
func (e *Estate) minimalRepository(r *EstateRepo) map[string]any {
	full := e.Owner + "/" + r.Name
	api := "https://api.github.com/repos/" + full
	kind := "User"
	if e.Org {
		kind = "Organization"
	}
	users := "https://api.github.com/users/" + e.Owner
	owner := map[string]any{
		"login": e.Owner, "id": 1, "node_id": "MDQ6VXNlcjE=", "avatar_url": "https://github.com/images/error/octocat_happy.gif",
		"gravatar_id": "", "url": users, "html_url": "https://github.com/" + e.Owner,
		"followers_url": users + "/followers", "following_url": users + "/following{/other_user}", "gists_url": users + "/gists{/gist_id}",
		"starred_url": users + "/starred{/owner}{/repo}", "subscriptions_url": users + "/subscriptions", "organizations_url": users + "/orgs",
		"repos_url": users + "/repos", "events_url": users + "/events{/privacy}", "received_events_url": users + "/received_events",
		"type": kind, "site_admin": false,
	}
	id := e.repoID(r.Name)
	m := map[string]any{
		"id": id, "node_id": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("010:Repository%d", id))),
		"name": r.Name, "full_name": full, "owner": owner, "private": r.Visibility != "public", "visibility": r.Visibility,
		"html_url": "https://github.com/" + full, "description": nil, "fork": r.Fork, "archived": r.Archived, "url": api,
	}
	for _, k := range []string{"archive_url:/{archive_format}{/ref}", "assignees_url:/assignees{/user}", "blobs_url:/git/blobs{/sha}",
		"branches_url:/branches{/branch}", "collaborators_url:/collaborators{/collaborator}", "comments_url:/comments{/number}",
		"commits_url:/commits{/sha}", "compare_url:/compare/{base}...{head}", "contents_url:/contents/{+path}",
		"contributors_url:/contributors", "deployments_url:/deployments", "downloads_url:/downloads", "events_url:/events",
		"forks_url:/forks", "git_commits_url:/git/commits{/sha}", "git_refs_url:/git/refs{/sha}", "git_tags_url:/git/tags{/sha}",
		"hooks_url:/hooks", "issue_comment_url:/issues/comments{/number}", "issue_events_url:/issues/events{/number}",
		"issues_url:/issues{/number}", "keys_url:/keys{/key_id}", "labels_url:/labels{/name}", "languages_url:/languages",
		"merges_url:/merges", "milestones_url:/milestones{/number}", "notifications_url:/notifications{?since,all,participating}",
		"pulls_url:/pulls{/number}", "releases_url:/releases{/id}", "stargazers_url:/stargazers", "statuses_url:/statuses/{sha}",
		"subscribers_url:/subscribers", "subscription_url:/subscription", "tags_url:/tags", "teams_url:/teams", "trees_url:/git/trees{/sha}"} {
		key, suffix, _ := strings.Cut(k, ":")
		m[key] = api + suffix
	}
	return m
}

// environments answers "List environments": {total_count, environments:
// [environment]}, each in the shape of the documented response example
// (https://docs.github.com/rest/deployments/environments#list-environments),
// whose first id, 161088068, numbers them, and whose node_id is base64 of
// "011:Environment161088068".
func (e *Estate) environments(w http.ResponseWriter, r *http.Request, full string, repo *EstateRepo) {
	if e.refuse(w, PartEnvironments, full) {
		return
	}
	from, to, link := e.page(r, len(repo.Environments))
	out := []map[string]any{}
	for i, env := range repo.Environments[from:to] {
		id := 161088068 + i + from
		out = append(out, map[string]any{
			"id": id, "node_id": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("011:Environment%d", id))),
			"name": env.Name, "url": "https://api.github.com/repos/" + full + "/environments/" + url.PathEscape(env.Name),
			"html_url":   "https://github.com/" + full + "/deployments/activity_log?environments_filter=" + url.QueryEscape(env.Name),
			"created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z", "protection_rules": []any{},
			"deployment_branch_policy": nil,
		})
	}
	e.writeJSON(w, "core", map[string]any{"total_count": len(repo.Environments), "environments": out}, link)
}

// contents answers "Get repository content" for .github/workflows: the
// folder as [content-directory items], a file as content-file with its
// text in base64; a path that does not exist is 404
// (https://docs.github.com/rest/repos/contents#get-repository-content).
func (e *Estate) contents(w http.ResponseWriter, r *http.Request, full string, repo *EstateRepo, p string) {
	if e.refuse(w, PartContents, full) {
		return
	}
	const dir = ".github/workflows"
	entry := func(name string, size int) map[string]any {
		pth := dir + "/" + name
		self := "https://api.github.com/repos/" + full + "/contents/" + pth + "?ref=main"
		sha := fmt.Sprintf("%040x", len(name)*7919+size)
		m := map[string]any{"type": "file", "size": size, "name": path.Base(pth), "path": pth, "sha": sha, "url": self,
			"git_url": "https://api.github.com/repos/" + full + "/git/blobs/" + sha, "html_url": "https://github.com/" + full + "/blob/main/" + pth,
			"download_url": "https://raw.githubusercontent.com/" + full + "/main/" + pth}
		m["_links"] = map[string]any{"self": self, "git": m["git_url"], "html": m["html_url"]}
		return m
	}
	switch {
	case repo.Files == nil:
		e.write(w, "core", Recorded("not-found-404"))
	case p == dir:
		names := make([]string, 0, len(repo.Files))
		for n := range repo.Files {
			names = append(names, n)
		}
		slices.Sort(names)
		out := []map[string]any{}
		for _, n := range names {
			out = append(out, entry(n, len(repo.Files[n])))
		}
		e.writeJSON(w, "core", out, "")
	default:
		name, ok := strings.CutPrefix(p, dir+"/")
		text, found := repo.Files[name]
		if !ok || !found {
			e.write(w, "core", Recorded("not-found-404"))
			return
		}
		m := entry(name, len(text))
		m["encoding"], m["content"] = "base64", wrapBase64(base64.StdEncoding.EncodeToString([]byte(text)))
		e.writeJSON(w, "core", m, "")
	}
}

// wrapBase64 breaks base64 into lines of 60, with a newline after each, as
// GitHub's contents API does (its documented example).
func wrapBase64(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60] + "\n")
		s = s[60:]
	}
	b.WriteString(s + "\n")
	return b.String()
}
