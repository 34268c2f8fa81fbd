// Package facts owns what the services said about a token, as plain data:
// GitHub's answer to the one inspecting request, each image's push probe, and
// the diagnosis of a refused image. The gather step fills it in; the gate
// judges it without any I/O. Every error a rule sees is one of this package's
// types, so a rule never depends on how an answer travelled.
package facts

import (
	"time"

	"github.com/token-gate/token-gate/internal/image"
)

// Token is everything gathered about one token. A nil GitHub means GitHub
// was not asked (an empty or malformed token, a refresh token, a registry
// credential).
type Token struct {
	GitHub *GitHub
	// Login is a registry's answer to a registry credential alone; nil for
	// a GitHub token.
	Login *ImageResult
	// Images are the probe results, in `packages` order; nil when the images
	// were not probed.
	Images []ImageResult
	// Diagnoses answer why the registry refused an image, keyed by
	// Image.String(); only refused images of GitHub's registry have one.
	Diagnoses map[string]Diagnosis
}

// GitHub is the answer to the inspecting request: the account facts, or Err.
type GitHub struct {
	Account Account
	Err     error
}

// Account is what one successful answer says about a token.
type Account struct {
	Login string
	// ScopesReported tells an absent X-OAuth-Scopes (the kind has no scopes,
	// or something stripped the header) from an empty one (a classic token
	// with none); docs/facts.md "Headers".
	ScopesReported bool
	Scopes         []string
	// ExpiresAt is zero when the header is absent: the token never expires.
	ExpiresAt time.Time
	// ExpiryUnreadable holds a header value that did not parse.
	ExpiryUnreadable string
	RequestID        string
	// Endpoint is the path that answered, for the report.
	Endpoint string
	// RateLimitingOff is set when GHES answered GET /rate_limit with 404
	// "Rate limiting is not enabled.": the token authenticated, and nothing
	// more is known (docs/facts.md "GHES").
	RateLimitingOff bool
}

// Outcome is what a probe proved.
type Outcome string

// The outcomes. Only Pushable and Denied are proofs; the others say the probe
// could not decide, and the gate must not pretend it did.
const (
	Pushable    Outcome = "pushable"
	Denied      Outcome = "denied"
	Unreachable Outcome = "unreachable"
	RateLimited Outcome = "rate-limited"
	Unexpected  Outcome = "unexpected"
	// NotProbed is an image the gate did not probe, because the token had
	// already failed in a way that decides the push (revoked, wrong kind).
	NotProbed Outcome = "not probed"
	// Accepted is a registry login the token service accepted.
	Accepted Outcome = "accepted"
)

// ImageResult is the probe of one image.
type ImageResult struct {
	Image   image.Image
	Outcome Outcome
	// Step is where the probe stopped: "challenge", "token" or "upload".
	Step   string
	Status int
	// Message is the registry's own words, quoted to the user.
	Message string
}

// Diagnosis is GitHub's answer about a refused image's package: what its
// owner is, then Found (200), or Err (SSO, an organization policy, 404 as
// an *APIError, or a fault that leaves the cause unknown).
type Diagnosis struct {
	Owner OwnerKind
	Found bool
	Err   error
}

// OwnerKind is what GitHub says owns an image's namespace.
type OwnerKind string

// The owner kinds. OwnerUnknown is an owner GitHub was not asked about, or
// could not answer for.
const (
	OwnerUnknown OwnerKind = ""
	OwnerSelf    OwnerKind = "self" // the token's own account
	OwnerUser    OwnerKind = "user" // another user's personal namespace
	OwnerOrg     OwnerKind = "organization"
	OwnerMissing OwnerKind = "missing" // no account of that name
)
