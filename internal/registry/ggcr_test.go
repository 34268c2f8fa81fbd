package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/transport"
)

// The push probe held against its Go twin. go-containerregistry's
// remote.CheckPushPermission (what kaniko and ko run before a build) makes
// the same challenge, token request and upload POST; its own
// TestCheckAgreesWithWrite (google/go-containerregistry#2411) holds it to a
// real remote.Write. Here token-gate's verdict must agree with both, on
// go-containerregistry's in-memory registry behind a token service and an
// access list of this test's own.

// tokenGuard puts the Docker token flow in front of a registry: /v2/
// challenges anonymous callers, /token turns Basic credentials into a bearer
// token granting the intersection of the scope asked and what the account
// may do (Docker's token authentication spec, "Requesting a Token"), and
// every other request needs a token granting its action on its repository,
// or is refused 403 DENIED (the distribution spec's error code).
type tokenGuard struct {
	next     http.Handler
	accounts map[string]account
	// created is the status an opened upload answers: the spec's 202, or
	// 201, which some registries send and both clients accept.
	created int

	mu     sync.Mutex
	grants map[string]map[string][]string // token → repository → actions
}

type account struct {
	password string
	// may says what the account may do on a repository.
	may func(repo string) []string
}

func (g *tokenGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/token":
		g.token(w, r)
		return
	case r.URL.Path == "/v2/" && g.granted(r) == nil:
		g.challenge(w, r, "")
		return
	case r.URL.Path == "/v2/":
		g.next.ServeHTTP(w, r)
		return
	}
	repo, ok := repository(r.URL.Path)
	action := "push"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		action = "pull"
	}
	grants := g.granted(r)
	switch {
	case grants == nil:
		g.challenge(w, r, repo)
	case !ok || !slices.Contains(grants[repo], action):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
	case g.created == http.StatusCreated && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/"):
		rec := httptest.NewRecorder()
		g.next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if rec.Code == http.StatusAccepted {
			rec.Code = http.StatusCreated
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	default:
		g.next.ServeHTTP(w, r)
	}
}

func (g *tokenGuard) challenge(w http.ResponseWriter, r *http.Request, repo string) {
	ch := `Bearer realm="http://` + r.Host + `/token",service="test-registry"`
	if repo != "" {
		ch += `,scope="repository:` + repo + `:pull,push"`
	}
	w.Header().Set("WWW-Authenticate", ch)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
}

func (g *tokenGuard) token(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	acct, known := g.accounts[user]
	if !ok || !known || acct.password != pass {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}`)
		return
	}
	grant := map[string][]string{}
	for _, scope := range r.URL.Query()["scope"] {
		parts := strings.Split(scope, ":")
		if len(parts) != 3 || parts[0] != "repository" {
			continue
		}
		for _, a := range strings.Split(parts[2], ",") {
			if slices.Contains(acct.may(parts[1]), a) {
				grant[parts[1]] = append(grant[parts[1]], a)
			}
		}
	}
	var buf [16]byte
	rand.Read(buf[:])
	tok := hex.EncodeToString(buf[:])
	g.mu.Lock()
	g.grants[tok] = grant
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"token": tok})
}

func (g *tokenGuard) granted(r *http.Request) map[string][]string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.grants[tok]
}

// repository reads NAME from /v2/NAME/blobs/... or /v2/NAME/manifests/...
func repository(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", false
	}
	for _, kind := range []string{"/blobs/", "/manifests/", "/tags/"} {
		if i := strings.Index(rest, kind); i > 0 {
			return rest[:i], true
		}
	}
	return "", false
}

func TestProbeAgreesWithGoContainerRegistry(t *testing.T) {
	t.Parallel()
	everything := func(string) []string { return []string{"pull", "push"} }
	accounts := map[string]account{
		"writer": {password: "writer-secret-1234", may: everything},
		"reader": {password: "reader-secret-1234", may: func(string) []string { return []string{"pull"} }},
		"scoped": {password: "scoped-secret-1234", may: func(repo string) []string {
			if repo == "aibrix/one" {
				return []string{"pull", "push"}
			}
			return []string{"pull"}
		}},
	}
	tests := []struct {
		name, user, pass, repo string
		created                int
		pushable               bool
	}{
		{"good credentials", "writer", "writer-secret-1234", "aibrix/one", http.StatusAccepted, true},
		{"good credentials, a registry answering 201", "writer", "writer-secret-1234", "aibrix/one", http.StatusCreated, true},
		{"bad credentials", "writer", "wrong-secret-12345", "aibrix/one", http.StatusAccepted, false},
		{"an unknown account", "nobody", "nobody-secret-1234", "aibrix/one", http.StatusAccepted, false},
		{"read-only", "reader", "reader-secret-1234", "aibrix/one", http.StatusAccepted, false},
		{"a grant scoped to one repository: that one", "scoped", "scoped-secret-1234", "aibrix/one", http.StatusAccepted, true},
		{"a grant scoped to one repository: another", "scoped", "scoped-secret-1234", "aibrix/two", http.StatusAccepted, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			guard := &tokenGuard{next: ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))), accounts: accounts, created: tc.created, grants: map[string]map[string][]string{}}
			srv := httptest.NewServer(guard)
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()

			// token-gate's probe.
			img := image.Image{Registry: host, Repository: tc.repo}
			p := &Prober{Client: NewClient(http.DefaultTransport, transport.Policy{Attempts: 1, AttemptTimeout: 10 * time.Second}, []image.Image{img}),
				Username: tc.user, Secret: tc.pass, Parallel: 1}
			r := p.Probe(ctx, img)
			ours := r.Outcome == facts.Pushable
			if !ours && r.Outcome != facts.Denied {
				t.Fatalf("token-gate decided nothing: %+v", r)
			}

			// go-containerregistry's check, and a real write.
			ref, err := name.ParseReference(host+"/"+tc.repo+":v1", name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			kc := authn.NewMultiKeychain(staticKeychain{authn.FromConfig(authn.AuthConfig{Username: tc.user, Password: tc.pass})})
			check := remote.CheckPushPermission(ref, kc, http.DefaultTransport) == nil
			random, err := random.Image(256, 1)
			if err != nil {
				t.Fatal(err)
			}
			write := remote.Write(ref, random, remote.WithAuthFromKeychain(kc), remote.WithContext(ctx)) == nil

			if ours != check || ours != write || ours != tc.pushable {
				t.Errorf("token-gate says pushable=%v (%s %d at %s: %q), CheckPushPermission %v, remote.Write %v; want all %v",
					ours, r.Outcome, r.Status, r.Step, r.Message, check, write, tc.pushable)
			}
		})
	}
}

// staticKeychain answers every registry with one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }
