// Package github owns token-gate's conversation with the GitHub REST API: the
// one request that reveals what a token is, the one question asked about a
// refused image's package, and how GitHub's answers become the facts
// package's values. It decides nothing about whether a token passes.
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

	"github.com/token-gate/token-gate/internal/destination"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
)

// Client asks GitHub about one token.
type Client struct {
	api *gh.Client
}

// NewClient returns a client that sends tok only to apiURL's host.
// apiURL is the REST base: https://api.github.com, or https://HOST/api/v3 on
// GHES; go-github appends /api/v3/ to any other host that lacks it
// (docs/facts.md, "go-github v62").
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
// refuses with a 403 that does not mean the token is bad (docs/facts.md,
// "What the REST API reveals").
func (c *Client) Inspect(ctx context.Context, kind token.Kind) facts.GitHub {
	var resp *gh.Response
	var err error
	var login string
	endpoint := "/user"
	if kind == token.Installation {
		endpoint = "/rate_limit"
		_, resp, err = c.api.RateLimit.Get(ctx)
		if rateLimitingOff(resp, err) {
			// GHES with rate limiting off (its default) answers 404 "Rate
			// limiting is not enabled.". Only an authenticated request gets
			// that far; a bad token gets 401 (docs/facts.md, "GHES").
			a := facts.Account{Endpoint: endpoint, RateLimitingOff: true}
			fill(&a, resp.Response)
			return facts.GitHub{Account: a}
		}
	} else {
		var u account
		resp, err = c.get(ctx, "user", &u)
		login = u.Login
		if err == nil && login == "" {
			// A 200 that is JSON but not a user: a proxy's or portal's page.
			return facts.GitHub{Err: unexpected(resp.Response)}
		}
	}
	if err != nil {
		return facts.GitHub{Err: Classify(ctx, resp, err)}
	}
	a := facts.Account{Login: login, Endpoint: endpoint}
	fill(&a, resp.Response)
	return facts.GitHub{Account: a}
}

// account is what token-gate reads of a user or organization: go-github's
// User has some sixty fields, and building its decoder by reflection is a
// large part of a default check's start (go run ./internal/bench/startup).
type account struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

// get is a GET through go-github, which still checks the answer, follows
// the base URL and classifies errors; only the decoding is narrow.
func (c *Client) get(ctx context.Context, path string, into any) (*gh.Response, error) {
	req, err := c.api.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return c.api.Do(ctx, req, into)
}

// rateLimitingOff reports GHES's 404 from GET /rate_limit when it keeps no
// limit for the caller. Its words differ by version ("Rate limiting is not
// enabled.", "No rate limit for white listed users"), so any 404 there whose
// message is about rate limits counts (docs/facts.md, "GHES").
func rateLimitingOff(resp *gh.Response, err error) bool {
	var er *gh.ErrorResponse
	return resp != nil && resp.StatusCode == http.StatusNotFound && errors.As(err, &er) &&
		strings.Contains(strings.ToLower(er.Message), "rate limit")
}

func fill(a *facts.Account, r *http.Response) {
	// Absent and empty differ: http.Header.Get cannot tell them apart
	// (docs/facts.md, "Headers").
	if v, ok := r.Header["X-Oauth-Scopes"]; ok {
		a.ScopesReported = true
		a.Scopes = token.ParseScopesHeader(strings.Join(v, ","))
	}
	if v := r.Header.Get("GitHub-Authentication-Token-Expiration"); v != "" {
		if t, err := token.ParseExpiration(v); err == nil {
			a.ExpiresAt = t
		} else {
			a.ExpiryUnreadable = v
		}
	}
	a.RequestID = r.Header.Get("X-GitHub-Request-Id")
}

// Owner asks GitHub what owns an image's namespace: the token's own account
// (no request: login is what GET /user said), another user, or an
// organization (GET /users/OWNER, whose type says which). Asking first is
// what lets a refusal under someone else's personal namespace be told from
// a missing organization package: /orgs/USER/... is always 404
// (docs/facts.md, "Where organization rules bite"). A 404 means no account
// has that name.
func (c *Client) Owner(ctx context.Context, owner, login string) (facts.OwnerKind, error) {
	if login != "" && strings.EqualFold(owner, login) {
		return facts.OwnerSelf, nil
	}
	var u account
	resp, err := c.get(ctx, "users/"+url.PathEscape(owner), &u)
	switch {
	case err != nil:
		cerr := Classify(ctx, resp, err)
		if api, ok := cerr.(*facts.APIError); ok && api.Status == http.StatusNotFound {
			return facts.OwnerMissing, cerr
		}
		if sso, ok := cerr.(*facts.SSOError); ok && sso.Org == "" {
			sso.Org = owner
		}
		return facts.OwnerUnknown, cerr
	case strings.EqualFold(u.Type, "Organization"):
		return facts.OwnerOrg, nil
	case strings.EqualFold(u.Type, "User"):
		return facts.OwnerUser, nil
	}
	return facts.OwnerUnknown, unexpected(resp.Response)
}

// Package asks GitHub about a refused image's package where its owner keeps
// it: SSO and organization policies apply to an organization's own
// resources, not to GET /user, so only this question can see them
// (docs/facts.md, "Where organization rules bite").
func (c *Client) Package(ctx context.Context, img image.Image, owner facts.OwnerKind) facts.Diagnosis {
	var pkg *gh.Package
	var resp *gh.Response
	var err error
	d := facts.Diagnosis{Owner: owner}
	// Users.GetPackage does not escape the name, which may hold slashes.
	switch owner {
	case facts.OwnerSelf:
		pkg, resp, err = c.api.Users.GetPackage(ctx, "", "container", url.PathEscape(img.Name()))
	case facts.OwnerUser:
		pkg, resp, err = c.api.Users.GetPackage(ctx, img.Owner(), "container", url.PathEscape(img.Name()))
	default:
		pkg, resp, err = c.api.Organizations.GetPackage(ctx, img.Owner(), "container", img.Name())
	}
	switch {
	case err != nil:
		d.Err = Classify(ctx, resp, err)
		if sso, ok := d.Err.(*facts.SSOError); ok && sso.Org == "" {
			sso.Org = img.Owner()
		}
	case pkg.GetName() == "" && pkg.GetID() == 0:
		d.Err = unexpected(resp.Response)
	default:
		d.Found = true
	}
	return d
}

// Classify turns go-github's answer into one of the facts package's errors.
// It reads the status and headers itself because go-github v62 neither
// classifies 429 as a rate limit nor spots a secondary limit but by its
// documentation URL (docs/facts.md, "go-github v62").
func Classify(ctx context.Context, resp *gh.Response, err error) error {
	var dest *destination.Error
	if errors.As(err, &dest) {
		return &facts.RefusedError{Reason: dest.Error()}
	}
	if resp == nil || resp.Response == nil {
		if ctx.Err() != nil {
			return &facts.UnreachableError{Err: fmt.Errorf("no complete answer within the run's time limit (%w)", ctx.Err())}
		}
		return &facts.UnreachableError{Err: unwrapURLError(err)}
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
	limited := status == http.StatusForbidden || status == http.StatusTooManyRequests
	retryAfter, hasRetryAfter := transport.RetryAfter(r)
	sso := ParseSSO(r.Header.Get("X-GitHub-SSO"))
	switch {
	case isSynthetic:
		return &facts.RateLimitError{Status: status, Reset: synthetic.Rate.Reset.Time, Message: msg}
	case status == http.StatusUnauthorized:
		return &facts.BadCredentialsError{RequestID: id}
	case status >= 500:
		return &facts.UnreachableError{Status: status, RequestID: id}
	case status < 300 || !isJSON(r):
		// A success that did not decode, or a refusal that is not GitHub's
		// JSON: a captive portal, a proxy's page, a truncated body.
		return unexpected(r)
	case status == http.StatusForbidden && sso.Required:
		return &facts.SSOError{Org: ssoOrg(sso.URL), AuthorizeURL: sso.URL, Message: msg, RequestID: id}
	case limited && lockoutWording(msg):
		// The failed-login limit: every login of the account is refused
		// for a while, good ones too (docs/facts.md, "Error answers").
		return &facts.LockoutError{Status: status, Message: msg, RequestID: id}
	case limited && r.Header.Get("X-RateLimit-Remaining") == "0":
		rl := &facts.RateLimitError{Status: status, Message: msg, RequestID: id}
		rl.Reset = resetOf(r)
		return rl
	case limited && (hasRetryAfter || status == http.StatusTooManyRequests || secondaryWording(msg)):
		// A Retry-After with quota left is a secondary limit whatever the
		// body says (docs/facts.md, "Error answers").
		return &facts.RateLimitError{Status: status, Secondary: true, Message: msg, RequestID: id, RetryAfter: retryAfter}
	case status == http.StatusForbidden:
		if p := ParsePolicy(msg); p != nil {
			p.RequestID = id
			return p
		}
	}
	where := ""
	if r.Request != nil {
		where = r.Request.URL.Path
	}
	return &facts.APIError{Status: status, Message: msg, URL: where, RequestID: id}
}

// resetOf reads X-RateLimit-Reset, the primary limit's reset in epoch
// seconds (GitHub docs, "Rate limits for the REST API"); the zero time when
// it cannot be read.
func resetOf(resp *http.Response) time.Time {
	secs, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(secs, 0).UTC()
}

// isJSON reports whether an answer is in GitHub's JSON. An answer without a
// Content-Type is given the benefit of the doubt.
func isJSON(r *http.Response) bool {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return ct == "" || strings.Contains(ct, "json")
}

func unexpected(r *http.Response) *facts.UnexpectedAnswerError {
	e := &facts.UnexpectedAnswerError{Status: r.StatusCode, ContentType: r.Header.Get("Content-Type"), Start: transport.BodyText(r)}
	if r.Request != nil {
		e.URL = r.Request.URL.Path
	}
	return e
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

// ParsePolicy reads the 403 messages in which an organization's or an
// enterprise's policy, not the token, refuses access (docs/facts.md, "Error
// answers"):
//
//	`ORG` forbids access via a personal access token (classic). Please use ...
//	`ORG` forbids access via a personal access token with fine-grained permissions. ...
//	The 'ORG' organization forbids access via a fine-grained personal access
//	tokens if the token's lifetime is greater than 90 days. Please adjust ...: URL
//	The 'ORG' organization forbids access via a personal access tokens (classic)
//	if the token's lifetime is greater than 7 days.
//	The 'Microsoft Open Source' enterprise forbids access via a personal access
//	tokens (classic) if the token's lifetime is greater than 90 days. ...
//
// The organization or enterprise comes back without its backticks or
// quotes; Enterprise says which it is. It returns nil for any other message.
func ParsePolicy(msg string) *facts.PolicyError {
	before, after, ok := strings.Cut(msg, " forbids access via ")
	if !ok {
		return nil
	}
	owner, enterprise := policyOwner(before)
	p := &facts.PolicyError{Org: owner, Enterprise: enterprise, Message: msg}
	lower := strings.ToLower(after)
	p.Classic = strings.Contains(lower, "(classic)")
	switch {
	case strings.Contains(lower, "lifetime"):
		p.Kind = facts.PolicyLifetime
		if _, rest, ok := strings.Cut(lower, "greater than "); ok {
			digits := strings.TrimLeft(rest, " ")
			end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
			if end < 0 {
				end = len(digits)
			}
			p.MaxDays, _ = strconv.Atoi(digits[:end])
		}
		p.SettingsURL = firstURL(after)
	case p.Classic:
		p.Kind = facts.PolicyNoClassicPAT
	case strings.Contains(lower, "fine-grained"):
		p.Kind = facts.PolicyNoFineGrainedPAT
	default:
		return nil
	}
	return p
}

// policyOwner reads who set the policy out of the words before "forbids":
// `ORG`, ORG, The 'ORG' organization, or The 'NAME' enterprise. An
// enterprise's name is its display name, spaces and dots included ("The
// 'Microsoft Open Source' enterprise").
func policyOwner(before string) (name string, enterprise bool) {
	words := strings.TrimSpace(before)
	words = strings.TrimPrefix(words, "The ")
	if w, ok := strings.CutSuffix(words, " enterprise"); ok {
		words, enterprise = w, true
	} else {
		words = strings.TrimSuffix(words, " organization")
	}
	return strings.Trim(words, "`'\" "), enterprise
}

// firstURL returns the first https URL in s, without trailing punctuation.
func firstURL(s string) string {
	i := strings.Index(s, "https://")
	if i < 0 {
		return ""
	}
	u := s[i:]
	if end := strings.IndexAny(u, " \t\n\"'<>"); end >= 0 {
		u = u[:end]
	}
	return strings.TrimRight(u, ".,;)")
}

// SSO is a parsed X-GitHub-SSO header.
type SSO struct {
	Required bool
	URL      string
	// PartialOrgs lists organisation IDs a list answer left out.
	PartialOrgs []string
}

// ParseSSO reads X-GitHub-SSO: `required; url=...` or
// `partial-results; organizations=1,2` (docs/facts.md, "Headers").
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

// lockoutWording tells GitHub's failed-login limit by its words, which
// have come with and without "Please try again later." (docs/facts.md,
// "Error answers").
func lockoutWording(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "maximum number of login attempts exceeded")
}

// secondaryWording tells a secondary limit by GitHub's words, for the answers
// that carry no Retry-After (docs/facts.md, "Error answers").
func secondaryWording(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "secondary rate limit") || strings.Contains(m, "abuse")
}

// ssoOrg reads the organization from the authorization URL GitHub sends,
// https://github.com/orgs/ORG/sso?authorization_request=...
func ssoOrg(authorizeURL string) string {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) >= 3 && parts[0] == "orgs" && parts[2] == "sso" {
		return parts[1]
	}
	return ""
}
