package github

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/transport"
)

// Limiter honours GitHub's rate limits for a run of many reads: it waits
// what GitHub asks and no more. A secondary limit pauses every request for
// its Retry-After, or a minute and then longer each time when GitHub gives
// none; an exhausted primary limit pauses its resource (core, graphql)
// until its reset; and only when a resource's remaining budget runs low
// are its requests spread over the time left until the reset. A wait that
// would pass the run's deadline is not begun: the answer is handed back,
// and the caller reports a rate limit, never missing data (docs/facts.md,
// "Error answers"; "Inventory reads").
type Limiter struct {
	Base http.RoundTripper
	// Low is the remaining budget at or below which requests are spread
	// until the reset.
	Low int
	// OnWait, when set, is told of every wait, for the progress line.
	OnWait func(d time.Duration, why string)
	// Now and Sleep are the clock; tests inject their own.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu sync.Mutex
	// pausedUntil holds every request: a secondary limit.
	pausedUntil time.Time
	// secondaries counts the secondary limits without Retry-After since
	// the last answer that was not one.
	secondaries int
	budgets     map[string]*budget
}

// budget is one resource's primary limit as the last answer told it.
type budget struct {
	remaining int
	reset     time.Time
	next      time.Time // when a request may next start, while spread
}

// maxLimitTries bounds how often one request waits out a limit and is
// sent again.
const maxLimitTries = 6

// minSecondaryWait is how long to wait on a secondary limit that names no
// Retry-After: "at least one minute" (GitHub docs, "Best practices for
// using the REST API").
const minSecondaryWait = time.Minute

// RoundTrip implements http.RoundTripper.
func (l *Limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	resource := resourceOf(req)
	for try := 1; ; try++ {
		if err := l.waitTurn(ctx, resource); err != nil {
			return nil, err
		}
		resp, err := l.Base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		wait, why := l.observe(resp, resource)
		if wait <= 0 || try >= maxLimitTries || !l.fits(ctx, wait) {
			return resp, nil
		}
		drain(resp)
		if l.OnWait != nil {
			l.OnWait(wait, why)
		}
		if err := l.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// resourceOf names the primary limit a request counts against.
func resourceOf(req *http.Request) string {
	if strings.HasSuffix(req.URL.Path, "/graphql") {
		return "graphql"
	}
	return "core"
}

// waitTurn waits out a secondary pause and, when the resource's budget
// runs low, its share of the time left until the reset.
func (l *Limiter) waitTurn(ctx context.Context, resource string) error {
	l.mu.Lock()
	now := l.now()
	start := later(now, l.pausedUntil)
	if b := l.budgets[resource]; b != nil && b.reset.After(now) && b.remaining <= l.Low {
		start = later(start, b.next)
		spread := b.reset.Sub(now) / time.Duration(max(b.remaining, 1))
		if b.remaining <= 0 {
			spread = 0
			start = later(start, b.reset.Add(time.Second))
		}
		b.next = start.Add(spread)
		b.remaining--
	}
	l.mu.Unlock()
	wait := start.Sub(now)
	if wait <= 0 {
		return nil
	}
	if !l.fits(ctx, wait) {
		// Not sent: GitHub would refuse it until then.
		return &facts.RateLimitError{Status: http.StatusForbidden, Reset: start.UTC(),
			Message: fmt.Sprintf("GitHub's rate limit leaves no time for this request before the run's time bound (it would wait %s); it was not sent", wait.Round(time.Second))}
	}
	if l.OnWait != nil {
		l.OnWait(wait, "GitHub's rate limit budget is low")
	}
	return l.sleep(ctx, wait)
}

// observe reads an answer's rate-limit headers, and says how long to wait
// before sending the request again when the answer is a limit.
func (l *Limiter) observe(resp *http.Response, resource string) (time.Duration, string) {
	h := resp.Header
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.budgets == nil {
		l.budgets = map[string]*budget{}
	}
	if r := h.Get("X-RateLimit-Resource"); r != "" {
		resource = r
	}
	remaining, errR := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	resetSecs, errS := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if errR == nil && errS == nil {
		b := l.budgets[resource]
		if b == nil {
			b = &budget{}
			l.budgets[resource] = b
		}
		b.remaining, b.reset = remaining, time.Unix(resetSecs, 0)
	}
	limited := resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests
	if resp.StatusCode < 300 {
		l.secondaries = 0 // answered: the next limit starts again at a minute
	}
	switch {
	case limited && errR == nil && remaining == 0 && errS == nil:
		return time.Unix(resetSecs, 0).Add(time.Second).Sub(now), "GitHub's primary rate limit is spent until " + time.Unix(resetSecs, 0).UTC().Format("15:04:05 UTC")
	case limited && isSecondary(resp):
		wait, ok := transport.RetryAfter(resp)
		if !ok {
			// None given: a minute, then twice as long each time it
			// follows another (GitHub docs, "Rate limits for the REST
			// API").
			wait = minSecondaryWait << min(l.secondaries, 4)
			l.secondaries++
		}
		if until := now.Add(wait); until.After(l.pausedUntil) {
			l.pausedUntil = until
		}
		return wait, "GitHub's secondary rate limit asks for a pause"
	case resp.StatusCode == http.StatusOK && resource == "graphql" && graphQLRateLimited(resp) && errS == nil:
		// GraphQL answers a spent limit with 200 and an error of type
		// RATE_LIMITED or RATE_LIMIT (docs/facts.md, "Inventory reads").
		return time.Unix(resetSecs, 0).Add(time.Second).Sub(now), "GitHub's GraphQL rate limit is spent until " + time.Unix(resetSecs, 0).UTC().Format("15:04:05 UTC")
	}
	return 0, ""
}

// isSecondary tells a secondary limit: a Retry-After with quota left, a
// 429, or GitHub's words (docs/facts.md, "Error answers").
func isSecondary(resp *http.Response) bool {
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return false
	}
	if _, ok := transport.RetryAfter(resp); ok || resp.StatusCode == http.StatusTooManyRequests {
		return true
	}
	return secondaryWording(transport.BodyText(resp))
}

// graphQLRateLimited reports a GraphQL answer whose errors say the limit is
// spent. The body is in memory already (transport.Retrying reads it whole).
func graphQLRateLimited(resp *http.Response) bool {
	body := transport.BodyText(resp)
	return strings.Contains(body, `"RATE_LIMITED"`) || strings.Contains(body, `"RATE_LIMIT"`) || strings.Contains(body, `"graphql_rate_limit"`)
}

// fits reports whether a wait ends before the run's deadline.
func (l *Limiter) fits(ctx context.Context, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || l.now().Add(wait).Before(deadline)
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Limiter) sleep(ctx context.Context, d time.Duration) error {
	if l.Sleep != nil {
		return l.Sleep(ctx, d)
	}
	return transport.Sleep(ctx, d)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// drain discards an answer that is about to be asked again.
func drain(resp *http.Response) {
	if resp.Body != nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
