package fake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Registry fakes a container registry's side of a push, ghcr.io's by default:
// the /v2/ challenge, the token service behind HTTP Basic auth, and the
// blob-upload endpoint behind the bearer token it issued. Its answers are the
// recorded registry-* answers.
type Registry struct {
	Server *httptest.Server
	// Host is host:port, to prefix image references with.
	Host string

	mu sync.Mutex
	// accepted are the credentials the token service takes: password →
	// username ("" accepts any user name, as ghcr.io does).
	accepted map[string]string
	// denied maps a repository to the message its upload is refused with.
	denied map[string]string
	// tokenStatus, when set, is the token service's answer to everyone.
	tokenStatus int
	// uploadStatus, when set, is the upload's answer to everyone.
	uploadStatus int
	uploadDelay  time.Duration
	realm        string
	service      string
	issued       []string
	requests     []Request
	inFlight     int
	maxInFlight  int
	echoing      bool
	// refusal names the recorded answer the token service refuses with;
	// "empty" sends the same status with no body.
	refusal string
	// readOnly are credentials the token service takes for pulls only.
	readOnly map[string]bool
	// challenge, when set, is the anonymous /v2/'s answer to everyone.
	challenge *Answer
	// open makes /v2/ answer 200, asking no credentials; the upload then
	// decides as openUpload says.
	open OpenUpload
	// Hostile or odd registries, for tests (no real one is known to do
	// these): a fixed token for everyone, a refusal or upload answer given
	// whole, a refusal that echoes the password it received.
	issuedToken    string
	refusalAnswer  *Answer
	uploadAnswer   *Answer
	echoingDetails bool
}

// OpenUpload is how a registry whose /v2/ asks no credentials treats an
// upload.
type OpenUpload int

// The ways an open registry treats uploads.
const (
	Closed          OpenUpload = iota // not open: /v2/ challenges
	OpenToAll                         // anyone may push: 202 without credentials
	OpenChallenges                    // the upload answers 401 with the usual Bearer challenge
	OpenRefusesBare                   // the upload answers 401 and says nothing of how to authenticate
)

// NewRegistry starts a fake registry that stops when the test ends.
func NewRegistry(t Cleaner) *Registry {
	reg := &Registry{accepted: map[string]string{}, denied: map[string]string{}, readOnly: map[string]bool{}, service: "ghcr.io"}
	reg.Server = httptest.NewServer(http.HandlerFunc(reg.serve))
	t.Cleanup(reg.Server.Close)
	reg.Host = strings.TrimPrefix(reg.Server.URL, "http://")
	return reg
}

// Accept makes the token service take tok with any user name.
func (reg *Registry) Accept(tok string) { reg.AcceptUser("", tok) }

// AcceptUser makes the token service take user:tok only.
func (reg *Registry) AcceptUser(user, tok string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.accepted[tok] = user
}

// AcceptReadOnly makes the token service take user:tok for pulls only: a
// push scope is refused as Docker Hub refuses a read-only PAT
// (dockerhub-token-401-insufficient-scopes).
func (reg *Registry) AcceptReadOnly(user, tok string) {
	reg.AcceptUser(user, tok)
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.readOnly[tok] = true
}

// SetChallenge makes the anonymous GET /v2/ answer a, whatever it is (a
// proxy's 403 page, a 401 with no challenge).
func (reg *Registry) SetChallenge(a Answer) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.challenge = &a
}

// SetOpen makes /v2/ ask for no credentials, and uploads behave as o says.
func (reg *Registry) SetOpen(o OpenUpload) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.open = o
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

// SetRealm points the challenge's realm at another URL, and names the
// service.
func (reg *Registry) SetRealm(u string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.realm = u
}

// SetEcho makes the token service refuse everyone with a message that quotes
// the credentials it received, raw, URL-encoded and as the Basic header.
func (reg *Registry) SetEcho(on bool) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.echoing = on
}

func (reg *Registry) echo() bool {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return reg.echoing
}

// SetRefusal chooses how the token service words a refusal: a recorded
// answer's name, or "empty" for no body at all.
func (reg *Registry) SetRefusal(answer string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.refusal = answer
}

// SetIssuedToken makes the token service hand everyone tok.
func (reg *Registry) SetIssuedToken(tok string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.issuedToken = tok
}

// SetRefusalAnswer makes the token service refuse everyone with a.
func (reg *Registry) SetRefusalAnswer(a Answer) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.refusalAnswer = &a
}

// SetUploadAnswer makes every upload answer a.
func (reg *Registry) SetUploadAnswer(a Answer) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.uploadAnswer = &a
}

// SetEchoDetails makes the token service refuse everyone in Docker Hub's
// {"details": ...} shape, quoting the password it received.
func (reg *Registry) SetEchoDetails(on bool) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.echoingDetails = on
}

// SetService names the service in the challenge.
func (reg *Registry) SetService(s string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.service = s
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

func (reg *Registry) record(r *http.Request) {
	reg.mu.Lock()
	reg.requests = append(reg.requests, Request{Host: r.Host, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), At: time.Now()})
	reg.mu.Unlock()
}

func (reg *Registry) serve(w http.ResponseWriter, r *http.Request) {
	reg.record(r)
	switch {
	case r.URL.Path == "/v2/" && r.Method == http.MethodGet:
		reg.mu.Lock()
		challenge, open := reg.challenge, reg.open
		reg.mu.Unlock()
		switch {
		case challenge != nil:
			challenge.Write(w)
		case open != Closed:
			// The distribution spec: a 200 from /v2/ means the client may
			// proceed with no further authentication.
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, "{}")
		default:
			reg.challengeAnswer(r).Write(w)
		}
	case r.URL.Path == "/token" && r.Method == http.MethodGet:
		reg.ServeToken(w, r)
	case strings.HasPrefix(r.URL.Path, "/v2/") && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") && r.Method == http.MethodPost:
		reg.serveUpload(w, r)
	default:
		registryError("NOT_FOUND", "not found").WithStatus(http.StatusNotFound).Write(w)
	}
}

// challengeAnswer is the recorded /v2/ challenge, its realm pointed at this
// fake's own token service unless set otherwise.
func (reg *Registry) challengeAnswer(r *http.Request) Answer {
	reg.mu.Lock()
	realm, service := reg.realm, reg.service
	reg.mu.Unlock()
	if realm == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		realm = scheme + "://" + r.Host + "/token"
	}
	return Recorded("registry-challenge-401").With("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s",service="%s",scope="repository:user/image:pull"`, realm, service))
}

func registryError(code, msg string) Answer {
	return Recorded("registry-upload-denied-403").Fill("DENIED", code).Fill("MESSAGE", msg)
}

// ServeToken is the token service: Basic credentials in, an opaque token for
// the requested scope out. A registry whose token service lives on another
// host (Docker Hub's) serves it from there.
func (reg *Registry) ServeToken(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	reg.mu.Lock()
	status, service := reg.tokenStatus, reg.service
	wantUser, accepted := reg.accepted[pass]
	readOnly := reg.readOnly[pass]
	reg.mu.Unlock()
	if accepted && wantUser != "" && wantUser != user {
		accepted = false
	}
	if status >= 500 {
		Recorded("unicorn-502").WithStatus(status).Write(w)
		return
	}
	reg.mu.Lock()
	refusalAnswer, echoingDetails, issuedToken := reg.refusalAnswer, reg.echoingDetails, reg.issuedToken
	reg.mu.Unlock()
	switch {
	case refusalAnswer != nil:
		refusalAnswer.Write(w)
		return
	case echoingDetails:
		Recorded("dockerhub-token-401-details").Fill("incorrect username or password", "incorrect password "+pass).Write(w)
		return
	}
	if reg.echo() {
		// A hostile or careless token service that quotes what it received:
		// no real one is known to, which is why it is tested.
		msg := fmt.Sprintf("unauthenticated: received Authorization %q for %s (%s)", r.Header.Get("Authorization"), pass, url.QueryEscape(pass))
		registryError("UNAUTHORIZED", msg).WithStatus(http.StatusUnauthorized).Write(w)
		return
	}
	if status != 0 || !ok || !accepted {
		reg.mu.Lock()
		refusal := reg.refusal
		reg.mu.Unlock()
		a := Recorded("registry-token-401")
		switch {
		case refusal == "empty":
			a.Body = ""
		case refusal != "":
			a = Recorded(refusal)
		}
		if status != 0 {
			a = a.WithStatus(status)
		}
		a.Write(w)
		return
	}
	scope := r.URL.Query().Get("scope")
	if readOnly && strings.HasSuffix(scope, "push") {
		Recorded("dockerhub-token-401-insufficient-scopes").Write(w)
		return
	}
	// Opaque to clients; the fake encodes what it granted so that the upload
	// can check it, which is its own business.
	tok := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("fake-registry-token|%s|%d", scope, time.Now().UnixNano())))
	if issuedToken != "" {
		tok = issuedToken
	}
	reg.mu.Lock()
	reg.issued = append(reg.issued, tok)
	reg.mu.Unlock()
	answer := "registry-token-200"
	if service == "registry.docker.io" {
		answer = "dockerhub-token-200"
	}
	Recorded(answer).Fill("TOKEN", tok).Write(w)
}

func (reg *Registry) serveUpload(w http.ResponseWriter, r *http.Request) {
	repo := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2/"), "/blobs/uploads/")
	reg.mu.Lock()
	reg.inFlight++
	reg.maxInFlight = max(reg.maxInFlight, reg.inFlight)
	delay, status, open, uploadAnswer := reg.uploadDelay, reg.uploadStatus, reg.open, reg.uploadAnswer
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
	case uploadAnswer != nil && issued:
		uploadAnswer.Write(w)
	case open == OpenToAll:
		Recorded("registry-upload-202").Fill("NAME", repo).Write(w)
	case open == OpenRefusesBare && !issued:
		registryError("UNAUTHORIZED", "authentication required").WithStatus(http.StatusUnauthorized).Without("WWW-Authenticate").Write(w)
	case open == OpenChallenges && !issued:
		reg.challengeAnswer(r).Write(w)
	case status >= 500:
		Recorded("unicorn-502").WithStatus(status).Write(w)
	case status != 0:
		registryError("DENIED", "permission_denied: write_package").WithStatus(status).Write(w)
	case !issued:
		registryError("UNAUTHORIZED", "authentication required").WithStatus(http.StatusUnauthorized).Write(w)
	case denied:
		registryError("DENIED", deniedMsg).Write(w)
	case scope != "repository:"+repo+":pull,push":
		registryError("DENIED", "requested access to the resource is denied").Write(w)
	default:
		Recorded("registry-upload-202").Fill("NAME", repo).Write(w)
	}
}
