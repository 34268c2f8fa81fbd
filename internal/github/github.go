// Package github owns token-gate's conversation with the GitHub REST API: the
// one request that reveals what a token is, and the typed errors that GitHub's
// answers become. It decides nothing about whether a token passes.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
	"golang.org/x/oauth2"

	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
)

// Facts is what one successful answer says about a token.
type Facts struct {
	Login string
	// ScopesReported tells an absent X-OAuth-Scopes (the kind has no scopes)
	// from an empty one (a classic token with none); github-tokens.md §2.
	ScopesReported bool
	Scopes         []string
	// ExpiresAt is zero when the header is absent: the token never expires.
	ExpiresAt time.Time
	// ExpiryUnreadable holds a header value that did not parse, so the report
	// can say the expiry could not be verified instead of calling it "never".
	ExpiryUnreadable string
	RateRemaining    int
	RateLimit        int
	RequestID        string
	// Endpoint is the path that answered, for the report.
	Endpoint string
}

// Client asks GitHub about one token.
type Client struct {
	api *gh.Client
}

// NewClient returns a client that sends tok only to apiURL's host.
// apiURL is the REST base: https://api.github.com, or https://HOST/api/v3 on
// GHES; go-github appends /api/v3/ to any other host that lacks it
// (github-tokens.md §2, "go-github v62 gotchas").
func NewClient(apiURL *url.URL, tok string, base http.RoundTripper, policy transport.Policy) (*Client, error) {
	httpClient := transport.NewClient(base, policy, apiURL.Host)
	httpClient = transport.Wrap(httpClient, func(next http.RoundTripper) http.RoundTripper {
		return &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}), Base: next}
	})
	c, err := gh.NewClient(httpClient).WithEnterpriseURLs(apiURL.String(), apiURL.String())
	if err != nil {
		return nil, err
	}
	c.UserAgent = "token-gate"
	return &Client{api: c}, nil
}

// REST returns the underlying go-github client, for callers that manage
// other resources (reminder issues) with the same guarded transport.
func (c *Client) REST() *gh.Client { return c.api }

// Inspect makes the single request that fits kind: GET /user for every kind
// that may call it, GET /rate_limit for installation tokens, which /user
// refuses with a 403 that does not mean the token is bad (github-tokens.md §2).
func (c *Client) Inspect(ctx context.Context, kind token.Kind) (Facts, error) {
	var resp *gh.Response
	var err error
	var login string
	endpoint := "/user"
	if kind == token.Installation {
		endpoint = "/rate_limit"
		_, resp, err = c.api.RateLimit.Get(ctx)
	} else {
		var u *gh.User
		u, resp, err = c.api.Users.Get(ctx, "")
		login = u.GetLogin()
	}
	if err != nil {
		return Facts{}, Classify(ctx, resp, err)
	}
	f := Facts{Login: login, Endpoint: endpoint}
	fillFacts(&f, resp.Response)
	return f, nil
}

func fillFacts(f *Facts, r *http.Response) {
	if v, ok := r.Header["X-Oauth-Scopes"]; ok {
		f.ScopesReported = true
		f.Scopes = token.ParseScopesHeader(strings.Join(v, ","))
	}
	if v := r.Header.Get("GitHub-Authentication-Token-Expiration"); v != "" {
		if t, err := token.ParseExpiration(v); err == nil {
			f.ExpiresAt = t
		} else {
			f.ExpiryUnreadable = v
		}
	}
	f.RateLimit, _ = strconv.Atoi(r.Header.Get("X-RateLimit-Limit"))
	f.RateRemaining, _ = strconv.Atoi(r.Header.Get("X-RateLimit-Remaining"))
	f.RequestID = r.Header.Get("X-GitHub-Request-Id")
}

// BadCredentialsError is a 401: the token is expired, revoked or mistyped.
type BadCredentialsError struct{ RequestID string }

func (e *BadCredentialsError) Error() string {
	return "GitHub answered 401 Bad credentials" + requestIDSuffix(e.RequestID)
}

// SSOError is a 403 carrying X-GitHub-SSO: required.
type SSOError struct {
	AuthorizeURL string
	Message      string
	RequestID    string
}

func (e *SSOError) Error() string {
	return "GitHub answered 403: the token is not authorized for the organization's SAML SSO" + requestIDSuffix(e.RequestID)
}

// RateLimitError is a primary or secondary rate limit. It is never a verdict
// on the token.
type RateLimitError struct {
	Status     int
	Secondary  bool
	Reset      time.Time     // primary: when the limit resets; zero if unknown
	RetryAfter time.Duration // secondary: GitHub's requested wait; zero if none given
	Message    string
	RequestID  string
}

func (e *RateLimitError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	return fmt.Sprintf("GitHub answered %d: %s rate limit exceeded%s", e.Status, kind, requestIDSuffix(e.RequestID))
}

// UnreachableError is a 5xx or network failure that persisted through the
// retries, or a run that ran out of time.
type UnreachableError struct {
	Status    int // 0 for a network error
	RequestID string
	Err       error
}

func (e *UnreachableError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("GitHub answered %d %s%s", e.Status, http.StatusText(e.Status), requestIDSuffix(e.RequestID))
	}
	return fmt.Sprintf("GitHub could not be reached: %v", e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// APIError is any other refusal, quoted as GitHub worded it.
type APIError struct {
	Status    int
	Message   string
	URL       string
	RequestID string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("GitHub answered %d %s for %s: %s%s", e.Status, http.StatusText(e.Status), e.URL, e.Message, requestIDSuffix(e.RequestID))
}

func requestIDSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (X-GitHub-Request-Id " + id + ")"
}

// Classify turns go-github's answer into one of this package's errors. It reads
// the status and headers itself because go-github v62 neither classifies 429
// as a rate limit nor spots a secondary limit but by its documentation URL
// (github-tokens.md §2, "go-github v62 gotchas").
func Classify(ctx context.Context, resp *gh.Response, err error) error {
	var dest *transport.DestinationError
	if errors.As(err, &dest) {
		return dest
	}
	if resp == nil || resp.Response == nil {
		if ctx.Err() != nil {
			return &UnreachableError{Err: fmt.Errorf("no complete answer within the run's time limit (%w)", ctx.Err())}
		}
		return &UnreachableError{Err: unwrapURLError(err)}
	}
	r := resp.Response
	status := r.StatusCode
	id := r.Header.Get("X-GitHub-Request-Id")
	msg := message(err)
	// go-github also answers with a RateLimitError of its own making, without
	// a request, once an earlier answer exhausted the limit; its fake 403
	// carries no headers, so its Rate is the only record of the reset.
	var synthetic *gh.RateLimitError
	isSynthetic := errors.As(err, &synthetic) && r.Header.Get("X-RateLimit-Remaining") == ""
	switch {
	case isSynthetic:
		return &RateLimitError{Status: status, Reset: synthetic.Rate.Reset.Time, Message: msg}
	case status == http.StatusUnauthorized:
		return &BadCredentialsError{RequestID: id}
	case status == http.StatusForbidden && ParseSSO(r.Header.Get("X-GitHub-SSO")).Required:
		return &SSOError{AuthorizeURL: ParseSSO(r.Header.Get("X-GitHub-SSO")).URL, Message: msg, RequestID: id}
	case (status == http.StatusForbidden || status == http.StatusTooManyRequests) && r.Header.Get("X-RateLimit-Remaining") == "0":
		rl := &RateLimitError{Status: status, Message: msg, RequestID: id}
		if secs, perr := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64); perr == nil {
			rl.Reset = time.Unix(secs, 0).UTC()
		}
		return rl
	case (status == http.StatusForbidden || status == http.StatusTooManyRequests) &&
		(transport.IsSecondaryRateLimit([]byte(msg)) || status == http.StatusTooManyRequests):
		rl := &RateLimitError{Status: status, Secondary: true, Message: msg, RequestID: id}
		if secs, perr := strconv.Atoi(r.Header.Get("Retry-After")); perr == nil {
			rl.RetryAfter = time.Duration(secs) * time.Second
		}
		return rl
	case status >= 500:
		return &UnreachableError{Status: status, RequestID: id}
	}
	where := ""
	if r.Request != nil {
		where = r.Request.URL.Path
	}
	return &APIError{Status: status, Message: msg, URL: where, RequestID: id}
}

func message(err error) string {
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &er):
		return er.Message
	case errors.As(err, &rl):
		return rl.Message
	case errors.As(err, &ab):
		return ab.Message
	}
	return ""
}

// unwrapURLError drops net/url's "Get \"URL\":" prefix, whose URL the report
// already names, keeping the cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// SSO is a parsed X-GitHub-SSO header.
type SSO struct {
	Required bool
	URL      string
	// PartialOrgs lists organisation IDs a list answer left out.
	PartialOrgs []string
}

// ParseSSO reads X-GitHub-SSO: `required; url=...` or
// `partial-results; organizations=1,2` (github-tokens.md §2).
func ParseSSO(v string) SSO {
	var s SSO
	parts := strings.Split(v, ";")
	switch strings.TrimSpace(strings.ToLower(parts[0])) {
	case "required":
		s.Required = true
	case "partial-results":
	default:
		return SSO{}
	}
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "url":
			if u, err := url.Parse(val); err == nil && u.Scheme == "https" && u.Host != "" {
				s.URL = val
			}
		case "organizations":
			for _, o := range strings.Split(val, ",") {
				if o = strings.TrimSpace(o); o != "" {
					s.PartialOrgs = append(s.PartialOrgs, o)
				}
			}
		}
	}
	return s
}
