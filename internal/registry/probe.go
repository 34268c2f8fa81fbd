package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/destination"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/transport"
)

// Prober probes images for push rights with one credential.
type Prober struct {
	Client   *http.Client
	Username string // ghcr.io ignores it; Docker clients send any name
	Secret   string
	// Mask is told every registry token as soon as it arrives, before
	// anything could print it.
	Mask func(string)
	// Parallel bounds the probes in flight.
	Parallel int

	mu         sync.Mutex
	challenges map[string]*challengeOnce
}

type challengeOnce struct {
	once sync.Once
	ch   Challenge
	res  *facts.ImageResult // set when the challenge itself failed
}

// NewClient returns an HTTP client that may reach only these images'
// registries, and the token services of known pairs (Docker Hub's); a token
// realm on any other host is refused rather than handed the credential.
func NewClient(base http.RoundTripper, policy transport.Policy, images []image.Image) *http.Client {
	hosts := make([]string, 0, len(images))
	for _, img := range images {
		hosts = append(hosts, img.Registry)
		hosts = append(hosts, image.TokenServiceHosts(img.Registry)...)
	}
	return transport.NewClient(base, policy, hosts...)
}

// ProbeAll probes images concurrently, at most Parallel at a time, and returns
// the results in input order.
func (p *Prober) ProbeAll(ctx context.Context, images []image.Image) []facts.ImageResult {
	results := make([]facts.ImageResult, len(images))
	limit := max(p.Parallel, 1)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, img := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = p.Probe(ctx, img)
		}()
	}
	wg.Wait()
	return results
}

// Probe runs the three steps for one image: the challenge (cached per
// registry), the token request with Basic auth, and an empty upload POST with
// the registry token. 202 (or 201, which go-containerregistry also counts)
// proves push rights and creates nothing: the upload session is left to
// expire (docs/facts.md, "Proving push rights").
func (p *Prober) Probe(ctx context.Context, img image.Image) facts.ImageResult {
	ch, failed := p.challenge(ctx, img)
	if failed != nil {
		r := *failed
		r.Image = img
		return r
	}
	switch strings.ToLower(ch.Scheme) {
	case "bearer":
		return p.uploadWithToken(ctx, img, ch)
	case "basic":
		return p.upload(ctx, img, p.basic())
	case "":
		return p.uploadOpen(ctx, img)
	}
	return facts.ImageResult{Image: img, Outcome: facts.Unexpected, Step: "challenge", Status: http.StatusUnauthorized,
		Message: fmt.Sprintf("the registry asks for %q authentication, which token-gate does not speak", ch.Scheme)}
}

// uploadWithToken asks the challenge's token service for a push-scoped
// token, then tries the upload with it.
func (p *Prober) uploadWithToken(ctx context.Context, img image.Image, ch Challenge) facts.ImageResult {
	tok, res := p.registryToken(ctx, img, ch, "repository:"+img.Repository+":pull,push")
	if res != nil {
		return *res
	}
	return p.upload(ctx, img, "Bearer "+tok)
}

// uploadOpen probes a registry whose /v2/ asked for no credentials. The
// credential goes along as Basic, which an open registry ignores; a
// registry that wants it per repository answers the upload with a
// challenge, which is followed once. A refusal of an upload the registry
// never asked credentials for proves nothing about them (docs/facts.md,
// "Proving push rights").
func (p *Prober) uploadOpen(ctx context.Context, img image.Image) facts.ImageResult {
	a, res := p.sendUpload(ctx, img, p.basic())
	switch {
	case res != nil:
		return *res
	case isCreated(a.status):
		return facts.ImageResult{Image: img, Outcome: facts.Pushable, Step: "upload", Status: a.status}
	case a.status == http.StatusUnauthorized:
		if ch, err := ParseChallenge(a.header.Get("WWW-Authenticate")); err == nil {
			switch strings.ToLower(ch.Scheme) {
			case "bearer":
				return p.uploadWithToken(ctx, img, ch)
			case "basic":
				// It asked for Basic credentials and refused the ones sent.
				return statusResult(img, "upload", a.status, a.body)
			}
		}
	}
	r := statusResult(img, "upload", a.status, a.body)
	if r.Outcome == facts.Denied {
		r.Outcome = facts.Unexpected
		r.Message = "push rights not proven: the registry asked for no credentials at /v2/, then refused the upload sent with them as Basic, without saying how to authenticate; its words: " + r.Message
	}
	return r
}

func (p *Prober) upload(ctx context.Context, img image.Image, auth string) facts.ImageResult {
	a, res := p.sendUpload(ctx, img, auth)
	switch {
	case res != nil:
		return *res
	case isCreated(a.status):
		return facts.ImageResult{Image: img, Outcome: facts.Pushable, Step: "upload", Status: a.status}
	}
	return statusResult(img, "upload", a.status, a.body)
}

// sendUpload opens an upload session. A repeated upload POST only opens
// another session that expires unused, so it may be retried.
func (p *Prober) sendUpload(ctx context.Context, img image.Image, auth string) (reply, *facts.ImageResult) {
	return p.send(transport.AllowPostRetry(ctx), img, "upload", http.MethodPost, img.Scheme()+"://"+img.Registry+"/v2/"+img.Repository+"/blobs/uploads/", auth)
}

// isCreated reports an upload session opened: 202 Accepted, as the
// distribution spec says, or 201 Created, which go-containerregistry's
// CheckPushPermission accepts too.
func isCreated(status int) bool {
	return status == http.StatusAccepted || status == http.StatusCreated
}

// Login checks the credentials alone, with no repository: the token service
// answers 200 with a token for good credentials and 401 for bad, expired or
// revoked ones (docs/facts.md, "Docker Hub"); a registry that asks for Basic
// auth answers /v2/ itself.
func (p *Prober) Login(ctx context.Context, registry string) facts.ImageResult {
	img := image.Image{Registry: registry}
	ch, failed := p.challenge(ctx, img)
	if failed != nil {
		r := *failed
		r.Image = img
		return r
	}
	switch strings.ToLower(ch.Scheme) {
	case "bearer":
		if _, res := p.registryToken(ctx, img, ch, ""); res != nil {
			return *res
		}
		return facts.ImageResult{Image: img, Outcome: facts.Accepted, Step: "token", Status: http.StatusOK}
	case "basic":
		a, res := p.send(ctx, img, "login", http.MethodGet, img.Scheme()+"://"+registry+"/v2/", p.basic())
		switch {
		case res != nil:
			return *res
		case a.status == http.StatusOK:
			return facts.ImageResult{Image: img, Outcome: facts.Accepted, Step: "login", Status: a.status}
		}
		return statusResult(img, "login", a.status, a.body)
	}
	return facts.ImageResult{Image: img, Outcome: facts.Unexpected, Step: "challenge",
		Message: "the registry asks for no credentials at /v2/, so they cannot be verified there"}
}

func (p *Prober) challenge(ctx context.Context, img image.Image) (Challenge, *facts.ImageResult) {
	p.mu.Lock()
	if p.challenges == nil {
		p.challenges = map[string]*challengeOnce{}
	}
	c, ok := p.challenges[img.Registry]
	if !ok {
		c = &challengeOnce{}
		p.challenges[img.Registry] = c
	}
	p.mu.Unlock()
	c.once.Do(func() { c.ch, c.res = p.fetchChallenge(ctx, img) })
	return c.ch, c.res
}

// fetchChallenge asks /v2/ anonymously how to authenticate. No credential
// has been sent yet, so no answer here can be a verdict on one: a 401 with a
// usable challenge is the protocol, a 200 means the registry asks for none,
// and anything else (a proxy's 403, a WAF, a geo-block, a 404) is an
// unexpected answer (docs/facts.md, "Proving push rights").
func (p *Prober) fetchChallenge(ctx context.Context, img image.Image) (Challenge, *facts.ImageResult) {
	a, res := p.send(ctx, img, "challenge", http.MethodGet, img.Scheme()+"://"+img.Registry+"/v2/", "")
	switch {
	case res != nil:
		return Challenge{}, res
	case a.status == http.StatusOK:
		return Challenge{}, nil
	case a.status == http.StatusUnauthorized:
		header := a.header.Get("WWW-Authenticate")
		ch, err := ParseChallenge(header)
		if err != nil {
			return Challenge{}, &facts.ImageResult{Outcome: facts.Unexpected, Step: "challenge", Status: a.status,
				Message: "the registry's WWW-Authenticate challenge is unreadable (" + err.Error() + "): " + header}
		}
		return ch, nil
	}
	r := statusResult(img, "challenge", a.status, a.body)
	if r.Outcome == facts.Denied {
		r.Outcome = facts.Unexpected
		r.Message = fmt.Sprintf("the anonymous GET /v2/ was answered %d before any credential was sent, so it says nothing about them (a proxy, firewall or geo-block answering for the registry?); its words: %s", a.status, r.Message)
	}
	return Challenge{}, &r
}

func (p *Prober) registryToken(ctx context.Context, img image.Image, ch Challenge, scope string) (string, *facts.ImageResult) {
	realm, err := url.Parse(ch.Params["realm"])
	if err != nil || realm.Host == "" {
		return "", &facts.ImageResult{Image: img, Outcome: facts.Unexpected, Step: "token", Message: fmt.Sprintf("the challenge names no usable realm (%q)", ch.Params["realm"])}
	}
	q := realm.Query()
	if svc := ch.Params["service"]; svc != "" {
		q.Set("service", svc)
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	realm.RawQuery = q.Encode()
	a, res := p.send(ctx, img, "token", http.MethodGet, realm.String(), p.basic())
	switch {
	case res != nil:
		return "", res
	case a.status != http.StatusOK:
		r := statusResult(img, "token", a.status, a.body)
		return "", &r
	}
	// The token is opaque: decoding it as a JWT gave false answers in
	// radius-project/radius#12612, so only the upload decides.
	var answer struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.body, &answer); err != nil || answer.Token+answer.AccessToken == "" {
		return "", &facts.ImageResult{Image: img, Outcome: facts.Unexpected, Step: "token", Status: a.status,
			Message: "the registry's token service answered 200 without a token"}
	}
	tok := answer.Token
	if tok == "" {
		tok = answer.AccessToken
	}
	if p.Mask != nil {
		p.Mask(tok)
	}
	return tok, nil
}

// reply is one answer of the registry, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request of the probe with the Authorization auth (none when
// empty). A request that cannot be made or sent becomes the step's result.
func (p *Prober) send(ctx context.Context, img image.Image, step, method, target, auth string) (reply, *facts.ImageResult) {
	req, err := http.NewRequestWithContext(ctx, method, target, http.NoBody)
	if err != nil {
		return reply{}, &facts.ImageResult{Image: img, Outcome: facts.Unexpected, Step: step, Message: err.Error()}
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		r := networkResult(img, step, err)
		return reply{}, &r
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// basic is the credential as HTTP Basic auth.
func (p *Prober) basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(p.Username+":"+p.Secret))
}

func networkResult(img image.Image, step string, err error) facts.ImageResult {
	var dest *destination.Error
	if errors.As(err, &dest) {
		return facts.ImageResult{Image: img, Outcome: facts.Unexpected, Step: step, Message: dest.Error()}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return facts.ImageResult{Image: img, Outcome: facts.Unreachable, Step: step, Message: err.Error()}
}

func statusResult(img image.Image, step string, status int, body []byte) facts.ImageResult {
	r := facts.ImageResult{Image: img, Step: step, Status: status, Message: registryMessage(body)}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		r.Outcome = facts.Denied
	case status == http.StatusTooManyRequests:
		r.Outcome = facts.RateLimited
	case status >= 500:
		r.Outcome = facts.Unreachable
	default:
		// Anything else (a 404, say) is no proof either way; the report
		// quotes it.
		r.Outcome = facts.Unexpected
	}
	return r
}

// registryMessage quotes the registry's own words: the distribution spec's
// {"errors":[{"code","message"}]}, Docker Hub's {"details": ...}, or a body
// in another shape, whole.
func registryMessage(body []byte) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Details string `json:"details"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		msgs := make([]string, 0, len(e.Errors))
		for _, x := range e.Errors {
			switch {
			case x.Message != "":
				msgs = append(msgs, x.Message)
			case x.Code != "":
				msgs = append(msgs, x.Code)
			}
		}
		return strings.Join(msgs, "; ")
	}
	if json.Unmarshal(body, &e) == nil && e.Details != "" {
		// Docker Hub's token service words its refusals as {"details": ...}.
		return e.Details
	}
	// Another shape (an HTML error page): all of it on one line, cut only
	// after redaction (facts.Token.Scrubbed).
	return strings.Join(strings.Fields(string(body)), " ")
}
