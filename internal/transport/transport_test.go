package transport

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/destination"
)

// TestRedirectToAnotherHostCarriesNoToken checks that a redirect from the
// configured host to any other is refused before a byte reaches the other.
func TestRedirectToAnotherHostCarriesNoToken(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	}))
	defer api.Close()
	apiURL, _ := url.Parse(api.URL)
	c := NewClient(nil, DefaultPolicy(), apiURL.Host)
	c = Wrap(c, func(next http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
			return next.RoundTrip(r)
		})
	})
	_, err := c.Get(api.URL + "/user")
	var dest *destination.Error
	if !errors.As(err, &dest) {
		t.Fatalf("redirect error = %v, want a destination.Error", err)
	}
	if strings.Contains(err.Error(), "ghp_") {
		t.Errorf("error quotes the token: %v", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetries(t *testing.T) {
	t.Parallel()
	policy := Policy{Attempts: 3, Backoff: time.Millisecond, AttemptTimeout: time.Second, MaxRetryAfter: 2 * time.Second}
	tests := []struct {
		name     string
		statuses []int
		method   string
		wantN    int
		want     int
	}{
		{"success", []int{200}, "GET", 1, 200},
		{"5xx then success", []int{502, 200}, "GET", 2, 200},
		{"5xx persists: three attempts", []int{500, 503, 504, 500}, "GET", 3, 504},
		{"401 never retried", []int{401, 200}, "GET", 1, 401},
		{"403 never retried", []int{403, 200}, "GET", 1, 403},
		{"404 never retried", []int{404, 200}, "GET", 1, 404},
		{"POST not retried on 5xx by default", []int{502, 201}, "POST", 1, 502},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				w.WriteHeader(tc.statuses[min(i, len(tc.statuses)-1)])
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			req, _ := http.NewRequest(tc.method, srv.URL, strings.NewReader("{}"))
			resp, err := NewClient(nil, policy, u.Host).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.want || int(n.Load()) != tc.wantN {
				t.Errorf("status %d after %d attempts; want %d after %d", resp.StatusCode, n.Load(), tc.want, tc.wantN)
			}
		})
	}
}

func TestSecondaryRetryAfterWaitedOnce(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"You have exceeded a secondary rate limit."}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	start := time.Now()
	resp, err := NewClient(nil, Policy{Attempts: 3, Backoff: time.Millisecond, AttemptTimeout: time.Second, MaxRetryAfter: 10 * time.Second}, u.Host).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || n.Load() != 2 {
		t.Errorf("status %d after %d requests; want 429 after 2 (waited once)", resp.StatusCode, n.Load())
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("did not wait out Retry-After: %s", took)
	}
}

// TestPostNeverSentTwice checks that an unmarked POST (an issue creation) is
// not sent again, neither after a 5xx nor after a short secondary limit.
func TestPostNeverSentTwice(t *testing.T) {
	t.Parallel()
	for _, answer := range []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
		func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation."}`))
		},
	} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			answer(w)
		}))
		u, _ := url.Parse(srv.URL)
		resp, err := NewClient(nil, Policy{Attempts: 3, Backoff: time.Millisecond, AttemptTimeout: time.Second, MaxRetryAfter: 10 * time.Second}, u.Host).Post(srv.URL, "application/json", strings.NewReader("{}"))
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if n.Load() != 1 {
			t.Errorf("the POST was sent %d times; want once", n.Load())
		}
	}
}
