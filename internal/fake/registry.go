package fake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Registry fakes ghcr.io's side of a push: the /v2/ challenge, the token
// service behind HTTP Basic auth, and the blob-upload endpoint behind the
// bearer token it issued.
type Registry struct {
	Server *httptest.Server
	// Host is host:port, to prefix image references with.
	Host string

	mu sync.Mutex
	// accepted are the GitHub tokens the token service takes.
	accepted map[string]bool
	// denied maps a repository to the message its upload is refused with.
	denied map[string]string
	// TokenStatus, when set, is the token service's answer to everyone.
	tokenStatus int
	// uploadStatus, when set, is the upload's answer to everyone.
	uploadStatus int
	uploadDelay  time.Duration
	realm        string
	issued       []string
	requests     []Request
	inFlight     int
	maxInFlight  int
}

// NewRegistry starts a fake registry that stops when the test ends.
func NewRegistry(t Cleaner) *Registry {
	reg := &Registry{accepted: map[string]bool{}, denied: map[string]string{}}
	reg.Server = httptest.NewServer(http.HandlerFunc(reg.serve))
	t.Cleanup(reg.Server.Close)
	reg.Host = strings.TrimPrefix(reg.Server.URL, "http://")
	return reg
}

// Accept makes the token service take tok.
func (reg *Registry) Accept(tok string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.accepted[tok] = true
}

// Deny makes uploads to repository fail with 403 DENIED and msg.
func (reg *Registry) Deny(repository, msg string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.denied[repository] = msg
}

// SetTokenStatus makes the token service answer status to every request.
func (reg *Registry) SetTokenStatus(status int) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.tokenStatus = status
}

// SetUploadStatus makes every upload answer status.
func (reg *Registry) SetUploadStatus(status int) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.uploadStatus = status
}

// SetUploadDelay delays every upload answer by d.
func (reg *Registry) SetUploadDelay(d time.Duration) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.uploadDelay = d
}

// SetRealm points the challenge's realm at another URL.
func (reg *Registry) SetRealm(u string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.realm = u
}

// Issued returns every registry token handed out, for leak scans.
func (reg *Registry) Issued() []string {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return append([]string(nil), reg.issued...)
}

// Requests returns what the fake received.
func (reg *Registry) Requests() []Request {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return append([]Request(nil), reg.requests...)
}

// MaxInFlight is the most uploads the fake held at once.
func (reg *Registry) MaxInFlight() int {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return reg.maxInFlight
}

func registryError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
}

func (reg *Registry) serve(w http.ResponseWriter, r *http.Request) {
	reg.mu.Lock()
	reg.requests = append(reg.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), At: time.Now()})
	reg.mu.Unlock()
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	switch {
	case r.URL.Path == "/v2/" && r.Method == http.MethodGet:
		reg.mu.Lock()
		realm := reg.realm
		reg.mu.Unlock()
		if realm == "" {
			realm = "http://" + r.Host + "/token"
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s",service="ghcr.io",scope="repository:user/image:pull"`, realm))
		registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
	case r.URL.Path == "/token" && r.Method == http.MethodGet:
		reg.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, "/v2/") && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") && r.Method == http.MethodPost:
		reg.serveUpload(w, r)
	default:
		registryError(w, http.StatusNotFound, "NOT_FOUND", "not found")
	}
}

func (reg *Registry) serveToken(w http.ResponseWriter, r *http.Request) {
	_, pass, ok := r.BasicAuth()
	reg.mu.Lock()
	status, accepted := reg.tokenStatus, reg.accepted[pass]
	reg.mu.Unlock()
	if status >= 500 {
		w.WriteHeader(status)
		return
	}
	if status != 0 || !ok || !accepted {
		if status == 0 {
			status = http.StatusUnauthorized
		}
		registryError(w, status, "UNAUTHORIZED", "unauthenticated: User cannot be authenticated with the token provided.")
		return
	}
	scope := r.URL.Query().Get("scope")
	// Opaque to clients; the fake encodes what it granted so that the upload
	// can check it, which is its own business.
	tok := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("fake-registry-token|%s|%d", scope, time.Now().UnixNano())))
	reg.mu.Lock()
	reg.issued = append(reg.issued, tok)
	reg.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func (reg *Registry) serveUpload(w http.ResponseWriter, r *http.Request) {
	repo := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2/"), "/blobs/uploads/")
	reg.mu.Lock()
	reg.inFlight++
	reg.maxInFlight = max(reg.maxInFlight, reg.inFlight)
	delay, status := reg.uploadDelay, reg.uploadStatus
	deniedMsg, denied := reg.denied[repo]
	issued := false
	auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	for _, t := range reg.issued {
		if t == auth {
			issued = true
		}
	}
	reg.mu.Unlock()
	defer func() {
		reg.mu.Lock()
		reg.inFlight--
		reg.mu.Unlock()
	}()
	if delay > 0 {
		time.Sleep(delay)
	}
	scope := ""
	if raw, err := base64.RawURLEncoding.DecodeString(auth); err == nil {
		if fields := strings.Split(string(raw), "|"); len(fields) == 3 {
			scope = fields[1]
		}
	}
	switch {
	case status >= 500:
		w.WriteHeader(status)
	case status != 0:
		registryError(w, status, "DENIED", "permission_denied: write_package")
	case !issued:
		registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
	case denied:
		registryError(w, http.StatusForbidden, "DENIED", deniedMsg)
	case scope != "repository:"+repo+":pull,push":
		registryError(w, http.StatusForbidden, "DENIED", "requested access to the resource is denied")
	default:
		w.Header().Set("Location", "/v2/"+repo+"/blobs/uploads/fake-upload-uuid")
		w.Header().Set("Docker-Upload-UUID", "fake-upload-uuid")
		w.Header().Set("Range", "0-0")
		w.WriteHeader(http.StatusAccepted)
	}
}
