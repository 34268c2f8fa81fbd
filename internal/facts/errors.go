package facts

import (
	"fmt"
	"time"
)

// BadCredentialsError is a 401: the token is expired, revoked or mistyped.
type BadCredentialsError struct{ RequestID string }

func (e *BadCredentialsError) Error() string {
	return "GitHub answered 401 Bad credentials" + RequestIDNote(e.RequestID)
}

// SSOError is a 403 carrying X-GitHub-SSO: required; the organization's SAML
// SSO has not authorized the token.
type SSOError struct {
	Org          string // the organization asked about, when known
	AuthorizeURL string // valid for one hour; empty when GitHub sent none
	Message      string
	RequestID    string
}

func (e *SSOError) Error() string {
	return "GitHub answered 403: the token is not authorized for the organization's SAML SSO" + RequestIDNote(e.RequestID)
}

// PolicyKind names an organization policy that refuses a token.
type PolicyKind string

// The organization policies GitHub names in a 403 (docs/facts.md, "Error answers").
const (
	PolicyNoClassicPAT     PolicyKind = "classic-pat-forbidden"
	PolicyNoFineGrainedPAT PolicyKind = "fine-grained-pat-forbidden"
	PolicyLifetime         PolicyKind = "token-lifetime"
)

// PolicyError is a 403 in which an organization's or an enterprise's
// policy, not the token, refuses access.
type PolicyError struct {
	Kind PolicyKind
	// Org names who set the policy: an organization, or, when Enterprise
	// is set, an enterprise ("The 'X' enterprise forbids ..."), whose
	// owners alone can change it (docs/facts.md, "Error answers").
	Org        string
	Enterprise bool
	MaxDays    int // the lifetime limit GitHub named; 0 when not named
	// Classic is set when the policy names personal access tokens
	// (classic), whose lifetime wording differs from fine-grained ones.
	Classic bool
	// SettingsURL is the token's own settings page, when GitHub's message
	// gives it (the lifetime policy does); the gate links it only on the
	// server's host.
	SettingsURL string
	Message     string
	RequestID   string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("GitHub answered 403: %s%s", e.Message, RequestIDNote(e.RequestID))
}

// LockoutError is GitHub's failed-login limit: after several requests with
// wrong credentials it refuses every login of the account for a while, good
// credentials included, with 403 "Maximum number of login attempts
// exceeded" (docs/facts.md, "Error answers"). It is never a verdict on the
// token: some other credential for the account is wrong.
type LockoutError struct {
	Status    int
	Message   string
	RequestID string
}

func (e *LockoutError) Error() string {
	return fmt.Sprintf("GitHub answered %d: too many failed logins for this account, so it refuses every login for a while%s", e.Status, RequestIDNote(e.RequestID))
}

// RateLimitError is a primary or secondary rate limit. It is never a verdict
// on the token.
type RateLimitError struct {
	Status     int
	Secondary  bool
	Reset      time.Time     // primary: when the limit resets; zero if unknown
	RetryAfter time.Duration // secondary: the requested wait; zero if none given
	Message    string
	RequestID  string
}

func (e *RateLimitError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	return fmt.Sprintf("GitHub answered %d: %s rate limit exceeded%s", e.Status, kind, RequestIDNote(e.RequestID))
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
		return fmt.Sprintf("GitHub answered %d %s%s", e.Status, StatusText(e.Status), RequestIDNote(e.RequestID))
	}
	return fmt.Sprintf("GitHub could not be reached: %v", e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// APIError is any other refusal in GitHub's JSON, quoted as GitHub worded it.
type APIError struct {
	Status    int
	Message   string
	URL       string // the path asked
	RequestID string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("GitHub answered %d %s for %s: %s%s", e.Status, StatusText(e.Status), e.URL, e.Message, RequestIDNote(e.RequestID))
}

// UnexpectedAnswerError is an answer that is not GitHub's JSON: a captive
// portal, a proxy's HTML page, a truncated body. It says nothing about the
// token.
type UnexpectedAnswerError struct {
	Status      int
	ContentType string
	// Start is the body, made printable; Scrubbed cuts it to its first
	// characters once it has been redacted whole.
	Start string
	URL   string
}

func (e *UnexpectedAnswerError) Error() string {
	return fmt.Sprintf("the answer to %s was not GitHub's JSON: %d %s, Content-Type %s, starting %s",
		e.URL, e.Status, StatusText(e.Status), Quote(e.ContentType), Quote(e.Start))
}

// RefusedError is a request token-gate refused to send: a host the
// credential does not belong to, or plain HTTP to a remote host.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// RequestIDNote is how every message quotes X-GitHub-Request-Id, the value
// GitHub support asks for; empty when there is none.
func RequestIDNote(id string) string {
	if id == "" {
		return ""
	}
	return " (X-GitHub-Request-Id " + id + ")"
}

// StatusText names the statuses token-gate reports; it is net/http's wording,
// kept here so that the rules need no HTTP package.
func StatusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 202:
		return "Accepted"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 410:
		return "Gone"
	case 422:
		return "Unprocessable Entity"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return ""
}
