// Package registry owns the push-rights probe: the Docker registry token
// flow, and the empty upload that proves a credential may push without
// pushing anything (docs/facts.md, "Proving push rights", after
// radius-project/radius PR #12623). A first push of a package that does not
// exist yet makes the same token request and upload POST, so the probe's
// answer is the push's answer.
package registry
