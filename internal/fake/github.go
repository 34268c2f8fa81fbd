// Package fake holds test doubles of GitHub's REST API and of ghcr.io that
// answer with the status codes, headers and bodies the real services send
// (github-tokens.md §2 and §4). They listen on 127.0.0.1 only and are used by
// tests alone; nothing in the token-gate binary imports this package.
package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
	// SSO makes /user answer 403 with X-GitHub-SSO: required; url=SSO.
	SSO string
	// Installation makes /user answer 403 "Resource not accessible by
	// integration", as it does for ghs_ tokens.
	Installation bool
}

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
	fault    Fault
	delay    time.Duration
	requests []Request
	// Issues is the issues API fake, for reminders.
	Issues *Issues
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  string
	Auth   string // the Authorization header verbatim
	Body   string
	At     time.Time
}

// NewGitHub starts a fake GitHub API that stops when the test ends.
func NewGitHub(t Cleaner) *GitHub {
	g := &GitHub{accounts: map[string]Account{}, Issues: newIssues()}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Server.Close)
	g.URL = g.Server.URL + "/api/v3"
	return g
}

// Add makes tok a working token for a.
func (g *GitHub) Add(tok string, a Account) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.accounts[tok] = a
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
	g.requests = append(g.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body, At: time.Now()})
	attempt := len(g.requests)
	fault, delay := g.fault, g.delay
	acct, ok := g.accounts[bearer(r)]
	g.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("X-GitHub-Request-Id", fmt.Sprintf("5498:3F219F:18172B2:275A386:%08X", attempt))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if fault != nil && fault(w, r, attempt) {
		return
	}
	path, found := strings.CutPrefix(r.URL.Path, "/api/v3")
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	if !ok {
		BadCredentials(w)
		return
	}
	rate(w.Header(), 5000, 4999)
	if !acct.NoScopes {
		w.Header().Set("X-OAuth-Scopes", acct.Scopes)
		w.Header().Set("X-Accepted-OAuth-Scopes", "")
	}
	if acct.Expiry != "" {
		w.Header().Set("GitHub-Authentication-Token-Expiration", acct.Expiry)
	}
	switch {
	case r.Method == http.MethodGet && path == "/user":
		switch {
		case acct.Installation:
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user", "status": "403"})
		case acct.SSO != "":
			w.Header().Set("X-GitHub-SSO", "required; url="+acct.SSO)
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.", "documentation_url": "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/"})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"login": acct.Login, "id": 1, "type": "User", "site_admin": false})
		}
	case r.Method == http.MethodGet && path == "/rate_limit":
		writeJSON(w, http.StatusOK, map[string]any{
			"resources": map[string]any{"core": map[string]int{"limit": 5000, "remaining": 4999, "reset": 1767225600, "used": 1}},
			"rate":      map[string]int{"limit": 5000, "remaining": 4999, "reset": 1767225600, "used": 1},
		})
	case strings.HasPrefix(path, "/repos/"):
		g.Issues.serve(w, r, path, body)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
	}
}

func rate(h http.Header, limit, remaining int) {
	h.Set("X-RateLimit-Limit", fmt.Sprint(limit))
	h.Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
	h.Set("X-RateLimit-Used", fmt.Sprint(limit-remaining))
	h.Set("X-RateLimit-Reset", "1767225600")
	h.Set("X-RateLimit-Resource", "core")
}

// BadCredentials writes GitHub's 401.
func BadCredentials(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
}

// PrimaryRateLimit is a fault answering as an exhausted primary limit does,
// resetting at reset.
func PrimaryRateLimit(status int, reset time.Time) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		rate(w.Header(), 60, 0)
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(reset.Unix()))
		writeJSON(w, status, map[string]string{"message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.", "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"})
		return true
	}
}

// SecondaryRateLimit is a fault answering as a secondary limit does;
// retryAfter < 0 leaves Retry-After out.
func SecondaryRateLimit(status, retryAfter int) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if retryAfter >= 0 {
			w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
		}
		writeJSON(w, status, map[string]string{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
		return true
	}
}

// ServerError is a fault answering status to every request.
func ServerError(status int) Fault {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprint(w, "<html><body><h1>Unicorn!</h1></body></html>")
		return true
	}
}

// Hang is a fault that accepts the request and never answers, until the
// client gives up.
func Hang(w http.ResponseWriter, r *http.Request, _ int) bool {
	<-r.Context().Done()
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func readBody(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	data, _ := io.ReadAll(r.Body)
	return string(data)
}
