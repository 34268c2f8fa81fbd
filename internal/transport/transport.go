// Package transport owns how a credential travels over HTTP: only to the
// hosts it was meant for, only over HTTPS (loopback excepted), and with retries
// that are bounded in count and time. Every outgoing request token-gate makes
// goes through a client built here.
package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/token-gate/token-gate/internal/destination"
)

// Policy bounds the retries of one request.
type Policy struct {
	// Attempts is the most tries of one request, the first included.
	Attempts int
	// Backoff is the wait before the second try; it doubles after that.
	Backoff time.Duration
	// AttemptTimeout bounds one try, reading the whole body included, so a
	// server that accepts the connection and never answers cannot hang a run.
	AttemptTimeout time.Duration
	// MaxRetryAfter is the longest secondary-rate-limit Retry-After that is
	// worth waiting out once; a longer one is reported instead.
	MaxRetryAfter time.Duration
}

// DefaultPolicy is what a run uses: three tries in all, and the caller bounds
// the whole run with a context deadline (60 s in the command).
func DefaultPolicy() Policy {
	return Policy{
		Attempts:       3,
		Backoff:        500 * time.Millisecond,
		AttemptTimeout: 20 * time.Second,
		MaxRetryAfter:  10 * time.Second,
	}
}

// maxBody caps what one response may make us hold in memory. GitHub's and the
// registry's answers to our few requests are a few kilobytes.
const maxBody = 4 << 20

type retryablePostKey struct{}

// AllowPostRetry marks a POST in ctx as safe to send again. Only the registry's
// upload probe qualifies: a repeated one opens another session that expires
// unused, whereas a repeated issue creation would duplicate the issue.
func AllowPostRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, retryablePostKey{}, true)
}

// Retrying retries network errors and 5xx answers with exponential backoff,
// and waits out one short secondary rate limit. It never retries a 401, 403 or
// 404: GitHub answers repeated bad credentials by locking out even good ones
// (docs/facts.md, "Error answers").
type Retrying struct {
	Base   http.RoundTripper
	Policy Policy
}

// RoundTrip implements http.RoundTripper. The returned body is already read
// into memory, which is what lets each attempt have its own deadline.
func (r *Retrying) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	attempts := max(r.Policy.Attempts, 1)
	retryable := req.Method != http.MethodPost || ctx.Value(retryablePostKey{}) != nil
	waitedRetryAfter := false
	backoff := r.Policy.Backoff
	for attempt := 1; ; attempt++ {
		resp, err := r.once(req, r.Policy.AttemptTimeout)
		switch {
		case err != nil && ctx.Err() != nil:
			// The run's own deadline or a cancel: not the server's fault,
			// and no further try would fit.
			return nil, fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case err != nil:
			if !retryable || attempt >= attempts {
				return nil, &AttemptsError{Attempts: attempt, Err: err}
			}
		default:
			// A POST that is not marked safe (an issue creation) is never
			// sent twice, not even after a limit asked for a short wait: a
			// second one could duplicate the issue.
			if wait, ok := shortSecondaryLimit(resp, r.Policy.MaxRetryAfter); ok && retryable && !waitedRetryAfter {
				waitedRetryAfter = true
				if Sleep(ctx, wait) != nil {
					return resp, nil
				}
				attempt-- // waiting out a limit GitHub asked for is not a failed try
				continue
			}
			if resp.StatusCode < 500 || !retryable || attempt >= attempts {
				return resp, nil
			}
		}
		if Sleep(ctx, backoff) != nil {
			if err != nil {
				return nil, &AttemptsError{Attempts: attempt, Err: err}
			}
			return resp, nil
		}
		backoff *= 2
	}
}

// AttemptsError is a network failure that persisted through every try.
type AttemptsError struct {
	Attempts int
	Err      error
}

func (e *AttemptsError) Error() string {
	return fmt.Sprintf("%v (after %d attempts)", e.Err, e.Attempts)
}

func (e *AttemptsError) Unwrap() error { return e.Err }

func (r *Retrying) once(req *http.Request, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(req.Context(), timeout)
	}
	defer cancel()
	try := req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errors.New("request body cannot be replayed")
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		try.Body = body
	}
	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(try)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded && req.Context().Err() == nil {
			return nil, fmt.Errorf("no answer within %s", timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded && req.Context().Err() == nil {
			return nil, fmt.Errorf("answer not complete within %s", timeout)
		}
		return nil, err
	}
	resp.Body = &memoryBody{Reader: bytes.NewReader(data), data: data}
	resp.ContentLength = int64(len(data))
	resp.Request = req
	return resp, nil
}

// memoryBody is a body already read into memory. It keeps the bytes, so an
// answer can still be quoted after a decoder has consumed it.
type memoryBody struct {
	*bytes.Reader
	data []byte
}

func (*memoryBody) Close() error { return nil }

// shortSecondaryLimit reports a secondary rate limit whose Retry-After is short
// enough to wait out: a 403 or 429 with Retry-After and quota left
// (docs/facts.md, "Error answers"). The body's wording is not required:
// GitHub's 429s do not always say "secondary".
func shortSecondaryLimit(resp *http.Response, max time.Duration) (time.Duration, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return 0, false // a primary limit: waiting seconds will not help
	}
	wait, ok := RetryAfter(resp)
	if !ok || wait > max {
		return 0, false
	}
	return wait, true
}

// RetryAfter reads a Retry-After given in seconds.
func RetryAfter(resp *http.Response) (time.Duration, bool) {
	secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || secs < 0 {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}

// BodyText returns a body already read into memory (as every answer
// through Retrying is), whole, with anything unprintable replaced, for
// quoting an answer that was not what was expected. It is not cut here: a
// cut before redaction could leave part of a token that no longer matches
// (facts.Token.Scrubbed cuts it once it is redacted).
func BodyText(resp *http.Response) string {
	var body []byte
	switch b := resp.Body.(type) {
	case nil:
		return ""
	case *memoryBody:
		body = b.data
	default:
		body, _ = io.ReadAll(io.LimitReader(b, maxBody))
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body), "?")))
}

// Sleep waits d, or less when ctx ends first: then it returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Guard refuses any request to a host it was not given, and any plain-HTTP
// request to a host that is not loopback. It sits below the layer that adds
// credentials, so a redirect to another host fails here instead of carrying
// the token along.
type Guard struct {
	Base  http.RoundTripper
	Hosts []string // host[:port], as in URL.Host
}

// RoundTrip implements http.RoundTripper.
func (g *Guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := destination.Check(req.URL, g.Hosts); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.Base.RoundTrip(req)
}

// NewClient returns a client whose requests go only to hosts, are retried per
// policy, and never follow a redirect to another host.
func NewClient(base http.RoundTripper, policy Policy, hosts ...string) *http.Client {
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{
		Transport: &Guard{Base: &Retrying{Base: base, Policy: policy}, Hosts: hosts},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return destination.Check(req.URL, hosts)
		},
	}
}

// Wrap puts extra layers (such as one that adds credentials) above the guard,
// keeping the guard between them and the network.
func Wrap(c *http.Client, layer func(http.RoundTripper) http.RoundTripper) *http.Client {
	c2 := *c
	c2.Transport = layer(c.Transport)
	return &c2
}
