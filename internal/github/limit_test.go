package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/fake"
)

// scripted answers each request with the next of its answers, then 200s
// carrying the budget remaining.
type scripted struct {
	answers   []fake.Answer
	remaining int
	reset     time.Time
	sent      int
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	s.sent++
	a := fake.Answer{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: "{}"}
	if len(s.answers) > 0 {
		a, s.answers = s.answers[0], s.answers[1:]
	} else {
		s.remaining--
		a.Headers["X-RateLimit-Remaining"] = strconv.Itoa(s.remaining)
		a.Headers["X-RateLimit-Reset"] = strconv.FormatInt(s.reset.Unix(), 10)
		a.Headers["X-RateLimit-Resource"] = "core"
	}
	h := http.Header{}
	for k, v := range a.Headers {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: a.Status, Header: h, Body: io.NopCloser(strings.NewReader(a.Body)), Request: req}, nil
}

func limiterFor(base http.RoundTripper, clock *fakeClock) *Limiter {
	return &Limiter{Base: base, Low: 24, Now: clock.Now, Sleep: clock.Sleep}
}

func get(t *testing.T, l *Limiter, ctx context.Context) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.github.com/repos/acme/app/actions/secrets", nil)
	return l.RoundTrip(req)
}

// TestLimiterWaitsOnlyWithCause: with budget to spare, nothing waits.
func TestLimiterWaitsOnlyWithCause(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	base := &scripted{remaining: 4000, reset: clock.now.Add(time.Hour)}
	l := limiterFor(base, clock)
	for range 200 {
		if _, err := get(t, l, t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if clock.slept() != 0 {
		t.Errorf("waited %s with 3,800 requests left", clock.slept())
	}
}

// TestLimiterSpreadsALowBudget: once the remaining budget is low, requests
// are spread over the time left until the reset, and a spent one waits for
// the reset.
func TestLimiterSpreadsALowBudget(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	reset := clock.now.Add(10 * time.Minute)
	base := &scripted{remaining: 11, reset: reset}
	l := limiterFor(base, clock)
	for range 10 {
		if _, err := get(t, l, t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// After the first answer (10 left), each request takes its share of the
	// ten minutes left: the ten spread over at most the time to the reset.
	if s := clock.slept(); s < 4*time.Minute || s > 10*time.Minute+time.Second {
		t.Errorf("spread over %s, want most of the 10 minutes to the reset", s)
	}
	// Spent: the next request waits for the reset, then goes.
	base.remaining = 1
	get(t, l, t.Context())
	before := clock.slept()
	get(t, l, t.Context())
	if !clock.Now().After(reset) || clock.slept() == before {
		t.Errorf("a spent budget did not wait for the reset (now %s, reset %s)", clock.Now(), reset)
	}
}

// TestLimiterHonoursRetryAfter: a secondary limit's Retry-After is waited
// exactly; without one a minute, then two.
func TestLimiterHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	base := &scripted{remaining: 4000, reset: clock.now.Add(time.Hour), answers: []fake.Answer{
		fake.Recorded("secondary-rate-limit-403").With("Retry-After", "30"),
		fake.Recorded("secondary-rate-limit-403").Without("Retry-After"),
		fake.Recorded("secondary-rate-limit-403").Without("Retry-After"),
	}}
	l := limiterFor(base, clock)
	resp, err := get(t, l, t.Context())
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	if want := 30*time.Second + time.Minute + 2*time.Minute; clock.slept() != want {
		t.Errorf("waited %s, want %s (30 s asked, then a minute, then two)", clock.slept(), want)
	}
	if base.sent != 4 {
		t.Errorf("%d requests sent, want 4", base.sent)
	}
}

// TestLimiterStopsAtTheBound: a wait that would pass the run's deadline is
// not begun; the limit's answer is handed back, and the next request is
// not sent before the reset but refused as a rate limit.
func TestLimiterStopsAtTheBound(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Now()}
	reset := clock.now.Add(2 * time.Hour)
	base := &scripted{remaining: 4000, reset: reset, answers: []fake.Answer{
		fake.Recorded("primary-rate-limit-403").With("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10)),
	}}
	l := limiterFor(base, clock)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	resp, err := get(t, l, ctx)
	if err != nil || resp.StatusCode != 403 || clock.slept() != 0 {
		t.Fatalf("resp %v err %v slept %s", resp, err, clock.slept())
	}
	_, err = get(t, l, ctx)
	var rl *facts.RateLimitError
	if !errors.As(err, &rl) || rl.Reset.Unix() < reset.Unix() || base.sent != 1 {
		t.Errorf("next request: %v (sent %d)", err, base.sent)
	}
}

// TestReadRetriesOnlyServerErrors: a 502 or a dropped connection is tried
// again and the read completes; a 5xx that persists is a gap that blames
// no permission.
func TestReadRetriesOnlyServerErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, smallEstate(), ReaderOptions{})
	tried := map[string]int{}
	var mu sync.Mutex // the reader asks side by side
	f.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		key := r.URL.Path
		if r.URL.Path == "/api/graphql" {
			key += "?" + r.URL.RawQuery
		}
		mu.Lock()
		tried[key]++
		n := tried[key]
		mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/environments") && strings.Contains(r.URL.Path, "/lib/"):
			fake.ServerError(503)(w, r, 0) // every time
			return true
		case n == 1 && (r.URL.Path == "/api/graphql" || strings.HasSuffix(r.URL.Path, "/actions/secrets")):
			fake.ServerError(502)(w, r, 0)
			return true
		}
		return false
	})
	e := f.read(t, Target{Owner: "acme"})
	if len(e.Repositories) != 3 {
		t.Fatalf("read %v", repoNames(e))
	}
	if len(e.NotVisible) != 1 || e.NotVisible[0].Part != "environments" || e.NotVisible[0].Permission != "" || !strings.Contains(e.NotVisible[0].Reason, "503") {
		t.Errorf("gaps: %+v", e.NotVisible)
	}
	if n := tried["/api/v3/repos/acme/lib/environments"]; n != 3 {
		t.Errorf("a persistent 503 was tried %d times, want 3", n)
	}
	if !e.Repositories[0].RepoSecretsRead {
		t.Error("a 502 answered once was not tried again")
	}
}

// TestReadSmallerPagesOnTimeouts: a GraphQL page GitHub cannot answer in
// time (502 after the retries) is asked again with fewer repositories.
func TestReadSmallerPagesOnTimeouts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, smallEstate(), ReaderOptions{PageSize: 20})
	f.gh.SetFault(func(w http.ResponseWriter, r *http.Request, attempt int) bool {
		body := f.gh.Requests()[attempt-1].Body // the fake read it already
		if r.URL.Path == "/api/graphql" && strings.Contains(body, `"first":20`) {
			fake.ServerError(502)(w, r, 0)
			return true
		}
		return false
	})
	e := f.read(t, Target{Owner: "acme"})
	if len(e.Repositories) != 3 || !e.Complete || len(e.NotVisible) != 0 {
		t.Errorf("read %v complete %v gaps %+v", repoNames(e), e.Complete, e.NotVisible)
	}
	if len(e.Notes) != 1 || !strings.Contains(e.Notes[0], "pages of 10") {
		t.Errorf("notes: %v", e.Notes)
	}
}
