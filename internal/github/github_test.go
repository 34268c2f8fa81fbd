package github

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/facts"
)

func TestParseSSO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want SSO
	}{
		{"required; url=https://github.com/orgs/aibrix/sso?authorization_request=AbC", SSO{Required: true, URL: "https://github.com/orgs/aibrix/sso?authorization_request=AbC"}},
		{"Required;url=https://github.com/orgs/x/sso", SSO{Required: true, URL: "https://github.com/orgs/x/sso"}},
		{"required", SSO{Required: true}},
		{"required; url=javascript:alert(1)", SSO{Required: true}}, // only an https URL is printed
		{"partial-results; organizations=21955855,20582480", SSO{PartialOrgs: []string{"21955855", "20582480"}}},
		{"", SSO{}},
		{"something-else; url=https://x", SSO{}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, ParseSSO(tc.in)); diff != "" {
			t.Errorf("ParseSSO(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func FuzzParseSSO(f *testing.F) {
	for _, s := range []string{
		"required; url=https://github.com/orgs/ORG/sso?authorization_request=x",
		"partial-results; organizations=21955855,20582480", "required", "", ";;=", "required; url=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseSSO(s)
		if got.URL != "" && (!got.Required || !strings.HasPrefix(got.URL, "https://")) {
			t.Errorf("ParseSSO(%q) = %+v: a URL only with required, and only https", s, got)
		}
		for _, o := range got.PartialOrgs {
			if o == "" || strings.ContainsAny(o, ", ") {
				t.Errorf("ParseSSO(%q): bad organization %q", s, o)
			}
		}
	})
}

// TestClassifySyntheticRateLimit covers go-github's own RateLimitError, made
// without a request after an answer with Remaining: 0: a rate limit, never a
// refusal of the token.
func TestClassifySyntheticRateLimit(t *testing.T) {
	t.Parallel()
	reset := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	fakeResp := &http.Response{StatusCode: http.StatusForbidden, Header: http.Header{}}
	err := &gh.RateLimitError{Rate: gh.Rate{Limit: 5000, Remaining: 0, Reset: gh.Timestamp{Time: reset}}, Response: fakeResp,
		Message: "API rate limit of 5000 still exceeded until 2026-11-25 13:00:00 +0000 UTC, not making remote request."}
	got := Classify(context.Background(), &gh.Response{Response: fakeResp}, err)
	var rl *facts.RateLimitError
	if !errors.As(got, &rl) || rl.Secondary || !rl.Reset.Equal(reset) {
		t.Errorf("Classify = %#v, want a primary facts.RateLimitError resetting at %v", got, reset)
	}
}
