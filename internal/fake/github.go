// Package fake holds test doubles of GitHub's REST API, of container
// registries and of the Actions runner. Every answer they give is a recorded
// answer of the real service (testdata/answers, each naming its public
// source), so a test cannot pass on an answer the real service never gives.
// They listen on 127.0.0.1 only and are used by tests alone; nothing in the
// token-gate binary imports this package.
package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cleaner is the part of testing.TB the fakes need: a way to stop with the
// test. cmd/fakes passes its own, so the fakes also serve benchmarks.
type Cleaner interface{ Cleanup(func()) }

// Classic is an obviously fake classic PAT: ghp_ and 36 x.
const Classic = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

// Token returns an obviously fake token with the given prefix, distinct per
// tag so several can live in one fake.
func Token(prefix, tag string) string {
	body := tag + strings.Repeat("x", 36)
	return prefix + body[:36]
}

// Account is how the fake answers for one token.
type Account struct {
	Login string
	// Scopes is X-OAuth-Scopes; NoScopes leaves the header out, as GitHub
	// does for fine-grained and installation tokens.
	Scopes   string
	NoScopes bool
	// Expiry is GitHub-Authentication-Token-Expiration verbatim; empty leaves
	// it out (a token that never expires).
	Expiry string
	// Installation makes /user answer 403 "Resource not accessible by
	// integration", as it does for ghs_ tokens.
	Installation bool
	// classic and fineGrained mark the kinds organization policies name;
	// set by Add from the prefix.
	classic, fineGrained bool
}

// Org is how an organization treats tokens on its own resources. SSO and
// PAT policies never show on GET /user (docs/facts.md, "Where organization
// rules bite").
type Org struct {
	// SSO: the organization enforces SAML SSO and has not authorized the
	// classic and OAuth tokens.
	SSO bool
	// SSOAnswers404 makes SSO refuse with a plain 404, which GitHub's SAML
	// docs say an unauthorized token "may receive" instead of a 403.
	SSOAnswers404 bool
	// ForbidsClassic: the organization bans classic PATs.
	ForbidsClassic bool
	// ForbidsFineGrained: the organization bans fine-grained PATs.
	ForbidsFineGrained bool
	// MaxLifetimeDays: the organization refuses tokens living longer,
	// worded for each kind as GitHub words it.
	MaxLifetimeDays int
	// Enterprise, when set, names the enterprise that owns the
	// organization and set the lifetime policy: the refusal names the
	// enterprise, not the organization, as GitHub words it then
	// ("The 'NAME' enterprise forbids ...").
	Enterprise string
}

// Mode changes how the whole fake answers.
type Mode int

// The modes.
const (
	ModeGitHub Mode = iota
	// ModeGHESNoRateLimit answers GET /rate_limit as a GHES with rate
	// limiting off (its default) does.
	ModeGHESNoRateLimit
	// ModeGHESWhitelisted answers GET /rate_limit as an older GHES does for
	// users exempt from limits.
	ModeGHESWhitelisted
	// ModePortal answers every request with a captive portal's page.
	ModePortal
)

// Fault overrides an answer: return true when it wrote one.
type Fault func(w http.ResponseWriter, r *http.Request, attempt int) bool

// GitHub is a fake REST API mounted under /api/v3/, as GHES serves it, so a
// client that hard-codes an absolute path fails here as it would there.
type GitHub struct {
	Server *httptest.Server
	// URL is the API base to give token-gate: http://127.0.0.1:PORT/api/v3.
	URL string

	mu       sync.Mutex
	accounts map[string]Account
	orgs     map[string]Org
	users    map[string]bool // personal accounts besides the tokens' own
	packages map[string]bool // OWNER/NAME
	mode     Mode
	fault    Fault
	delay    time.Duration
	requests []Request
	inFlight int
	maxIn    int
	// Issues is the issues API fake, for reminders.
	Issues *Issues
	// estate, when set, is the owner the inventory reads (estate.go).
	estate *Estate
}

// Request is one request the fake received.
type Request struct {
	Host   string
	Method string
	Path   string
	Query  string
	Auth   string // the Authorization header verbatim
	Body   string
	At     time.Time
}

// NewGitHub starts a fake GitHub API that stops when the test ends.
func NewGitHub(t Cleaner) *GitHub {
	g := &GitHub{accounts: map[string]Account{}, orgs: map[string]Org{}, users: map[string]bool{}, packages: map[string]bool{}, Issues: newIssues()}
	// aibrix is a real organization on github.com, where vllm-project/aibrix
	// keeps its images, so the fake knows it from the start; other owners a
	// test names must be made (SetOrg, AddUser), or GitHub has none of them.
	g.orgs["aibrix"] = Org{}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Server.Close)
	g.URL = g.Server.URL + "/api/v3"
	return g
}

// Add makes tok a working token for a.
func (g *GitHub) Add(tok string, a Account) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a.classic = strings.HasPrefix(tok, "ghp_")
	a.fineGrained = strings.HasPrefix(tok, "github_pat_")
	g.accounts[tok] = a
}

// Tokens returns every token the fake knows, for leak scans.
func (g *GitHub) Tokens() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.accounts))
	for tok := range g.accounts {
		out = append(out, tok)
	}
	return out
}

// IssueText is every title, body and comment of every issue, for leak scans.
func (g *GitHub) IssueText() string {
	var b strings.Builder
	for _, i := range g.Issues.All() {
		b.WriteString(i.Title + "\n" + i.Body + "\n" + strings.Join(i.Comments, "\n") + "\n")
	}
	return b.String()
}

// SetOrg sets how an organization treats tokens.
func (g *GitHub) SetOrg(name string, o Org) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.orgs[strings.ToLower(name)] = o
}

// AddPackage makes a container package OWNER/NAME exist and be visible.
func (g *GitHub) AddPackage(repository string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.packages[repository] = true
}

// SetMode changes how the whole fake answers.
func (g *GitHub) SetMode(m Mode) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mode = m
}

// SetFault installs f in front of every answer.
func (g *GitHub) SetFault(f Fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fault = f
}

// SetDelay delays every answer by d.
func (g *GitHub) SetDelay(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.delay = d
}

// Requests returns what the fake received so far.
func (g *GitHub) Requests() []Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Request(nil), g.requests...)
}

// MaxInFlight is the most requests the fake held at once.
func (g *GitHub) MaxInFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.maxIn
}

func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "bearer ", "token "} {
		if strings.HasPrefix(a, p) {
			return strings.TrimPrefix(a, p)
		}
	}
	return ""
}

func (g *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	g.mu.Lock()
	g.requests = append(g.requests, Request{Host: r.Host, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body, At: time.Now()})
	attempt := len(g.requests)
	g.inFlight++
	g.maxIn = max(g.maxIn, g.inFlight)
	fault, delay, mode, estate := g.fault, g.delay, g.mode, g.estate
	acct, ok := g.accounts[bearer(r)]
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if mode == ModePortal {
		Recorded("captive-portal-200").Write(w)
		return
	}
	w.Header().Set("X-GitHub-Request-Id", fmt.Sprintf("5498:3F219F:18172B2:275A386:%08X", attempt))
	if fault != nil && fault(w, r, attempt) {
		return
	}
	path, found := strings.CutPrefix(r.URL.Path, "/api/v3")
	// GHES serves GraphQL at /api/graphql, beside the REST API's /api/v3
	// (docs/facts.md, "Inventory reads").
	graphql := r.URL.Path == "/api/graphql" && estate != nil
	if !found && !graphql {
		Recorded("not-found-404").Write(w)
		return
	}
	if !ok && graphql {
		Recorded("graphql-bad-credentials-401").Write(w)
		return
	}
	if !ok {
		Recorded("bad-credentials-401").Write(w)
		return
	}
	// GitHub sends the token's scopes and expiry on every authenticated
	// answer (docs/facts.md, "Headers").
	if !acct.NoScopes {
		w.Header().Set("X-OAuth-Scopes", acct.Scopes)
	}
	if acct.Expiry != "" {
		w.Header().Set("GitHub-Authentication-Token-Expiration", acct.Expiry)
	}
	if estate != nil && estate.serve(w, r, path, body) {
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && path == "/user":
		if acct.Installation {
			Recorded("installation-user-403").Write(w)
			return
		}
		a := userAnswer(acct.Login)
		if acct.NoScopes {
			a = a.Without("X-OAuth-Scopes")
		} else {
			a = a.With("X-OAuth-Scopes", acct.Scopes)
		}
		a.Write(w)
	case r.Method == http.MethodGet && path == "/rate_limit":
		switch mode {
		case ModeGHESNoRateLimit:
			Recorded("ghes-rate-limit-off-404").Write(w)
		case ModeGHESWhitelisted:
			Recorded("ghes-rate-limit-whitelisted-404").Write(w)
		default:
			Recorded("rate-limit-200").Write(w)
		}
	case r.Method == http.MethodGet && path == "/user/orgs":
		g.serveOrgList(w)
	case r.Method == http.MethodGet && len(parts) == 5 && parts[0] == "orgs" && parts[2] == "packages" && parts[3] == "container":
		g.servePackage(w, acct, parts[1], parts[4], true)
	case r.Method == http.MethodGet && len(parts) == 5 && parts[0] == "users" && parts[2] == "packages" && parts[3] == "container":
		g.servePackage(w, acct, parts[1], parts[4], false)
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "user" && parts[1] == "packages" && parts[2] == "container":
		g.servePackage(w, acct, acct.Login, parts[3], false)
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "users":
		g.serveOwner(w, parts[1])
	case strings.HasPrefix(path, "/repos/"):
		g.Issues.serve(w, r, path, body)
	default:
		Recorded("not-found-404").Write(w)
	}
}

// userAnswer is the recorded user with this account's login.
func userAnswer(login string) Answer {
	a := Recorded("user-200")
	var user map[string]any
	if err := json.Unmarshal([]byte(a.Body), &user); err != nil {
		panic(err)
	}
	user["login"] = login
	data, _ := json.Marshal(user)
	a.Body = string(data)
	return a
}

// servePackage answers GET a package: an organization's SSO and PAT policies
// first, since they apply to all its resources, then whether the package
// exists (docs/facts.md, "Where organization rules bite"). asOrg is the
// /orgs/ path: asked there, a user's namespace is never found.
func (g *GitHub) servePackage(w http.ResponseWriter, acct Account, owner, escapedName string, asOrg bool) {
	name, _ := url.PathUnescape(escapedName)
	g.mu.Lock()
	org, isOrg := g.orgs[strings.ToLower(owner)]
	exists := g.packages[owner+"/"+name]
	g.mu.Unlock()
	personal := acct.classic || !acct.Installation && !acct.fineGrained
	switch {
	case isOrg != asOrg:
		Recorded("package-404").Write(w)
	case isOrg && org.SSO && personal && org.SSOAnswers404:
		Recorded("package-404").Write(w)
	case isOrg && org.SSO && personal:
		Recorded("sso-required-403").Fill("ORG", owner).Write(w)
	case isOrg && org.ForbidsClassic && acct.classic:
		Recorded("org-forbids-classic-403").Fill("ORG", owner).Write(w)
	case isOrg && org.ForbidsFineGrained && acct.fineGrained:
		Recorded("org-forbids-fine-grained-403").Fill("ORG", owner).Write(w)
	case isOrg && org.MaxLifetimeDays > 0 && org.Enterprise != "" && acct.classic:
		Recorded("enterprise-lifetime-classic-403").Fill("Microsoft Open Source", org.Enterprise).Fill("90 days", days(org.MaxLifetimeDays)).Write(w)
	case isOrg && org.MaxLifetimeDays > 0 && org.Enterprise != "" && acct.fineGrained:
		Recorded("enterprise-lifetime-403").Fill("Node.js", org.Enterprise).Fill("366 days", days(org.MaxLifetimeDays)).Write(w)
	case isOrg && org.MaxLifetimeDays > 0 && acct.classic:
		Recorded("org-lifetime-classic-403").Fill("ORG", owner).Fill("7 days", days(org.MaxLifetimeDays)).Write(w)
	case isOrg && org.MaxLifetimeDays > 0 && acct.fineGrained:
		// The recorded answer is verbatim: its organization is NixOS.
		Recorded("org-lifetime-403").Fill("NixOS", owner).Fill("90 days", days(org.MaxLifetimeDays)).Write(w)
	case exists:
		Recorded("package-200").Fill("ORG", owner).Fill("NAME", name).Write(w)
	default:
		Recorded("package-404").Write(w)
	}
}

func days(n int) string { return fmt.Sprintf("%d days", n) }

// serveOwner answers GET /users/NAME: an organization or a user, by type.
func (g *GitHub) serveOwner(w http.ResponseWriter, name string) {
	g.mu.Lock()
	_, isOrg := g.orgs[strings.ToLower(name)]
	isUser := g.users[strings.ToLower(name)]
	for _, a := range g.accounts {
		isUser = isUser || strings.EqualFold(a.Login, name)
	}
	g.mu.Unlock()
	switch {
	case isOrg:
		Recorded("org-profile-200").Fill("LOGIN", name).Write(w)
	case isUser:
		Recorded("user-profile-200").Fill("LOGIN", name).Write(w)
	default:
		Recorded("not-found-404").Write(w)
	}
}

// AddUser makes a personal account named login exist.
func (g *GitHub) AddUser(login string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.users[strings.ToLower(login)] = true
}

// serveOrgList answers a list endpoint: SSO-protected organizations are left
// out and named in X-GitHub-SSO: partial-results.
func (g *GitHub) serveOrgList(w http.ResponseWriter) {
	g.mu.Lock()
	sso := false
	for _, o := range g.orgs {
		sso = sso || o.SSO
	}
	g.mu.Unlock()
	a := Recorded("sso-partial-results-200")
	if !sso {
		a = a.Without("X-GitHub-SSO")
	}
	a.Write(w)
}

// PrimaryRateLimit is a fault answering as an exhausted primary limit does,
// resetting at reset.
func PrimaryRateLimit(status int, reset time.Time) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		Recorded("primary-rate-limit-403").WithStatus(status).With("X-RateLimit-Reset", fmt.Sprint(reset.Unix())).Write(w)
		return true
	}
}

// SecondaryRateLimit is a fault answering as a secondary limit does;
// retryAfter < 0 leaves Retry-After out.
func SecondaryRateLimit(status, retryAfter int) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		a := Recorded("secondary-rate-limit-403").WithStatus(status).Without("Retry-After")
		if retryAfter >= 0 {
			a = a.With("Retry-After", fmt.Sprint(retryAfter))
		}
		a.Write(w)
		return true
	}
}

// TooManyRequests is a fault answering 429 with Retry-After and quota left,
// and a body that does not say "secondary".
func TooManyRequests(retryAfter int) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		Recorded("too-many-requests-429").With("Retry-After", fmt.Sprint(retryAfter)).Write(w)
		return true
	}
}

// LoginLockout answers every request as GitHub does once it has locked an
// account's logins out after too many failed ones: 403 "Maximum number of
// login attempts exceeded", whatever the credential (docs/facts.md, "Error
// answers").
func LoginLockout(w http.ResponseWriter, _ *http.Request, _ int) bool {
	Recorded("login-lockout-403").Write(w)
	return true
}

// ServerError is a fault answering status with GitHub's error page.
func ServerError(status int) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		Recorded("unicorn-502").WithStatus(status).Write(w)
		return true
	}
}

// Hang is a fault that accepts the request and never answers, until the
// client gives up.
func Hang(w http.ResponseWriter, r *http.Request, _ int) bool {
	<-r.Context().Done()
	return true
}

func readBody(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	data, _ := io.ReadAll(r.Body)
	return string(data)
}
