// Package registry owns the push-rights probe: image references, the Docker
// registry token flow, and the empty upload that proves a token may push
// without pushing anything (github-tokens.md §4, after radius-project/radius
// PR #12623).
package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/token-gate/token-gate/internal/transport"
)

// DefaultRegistry is where `OWNER/NAME` points.
const DefaultRegistry = "ghcr.io"

// MaxImages bounds the `packages` input.
const MaxImages = 50

// Image is a parsed reference with any tag or digest dropped: push rights
// belong to the repository, not the tag.
type Image struct {
	Registry   string // host[:port]
	Repository string // owner/name
}

func (i Image) String() string { return i.Registry + "/" + i.Repository }

// Scheme is plain http for a loopback registry, as Docker does for local
// registries, and https for every other (github-tokens.md §4).
func (i Image) Scheme() string {
	if transport.IsLoopback(hostOnly(i.Registry)) {
		return "http"
	}
	return "https"
}

func hostOnly(hostport string) string {
	if strings.HasPrefix(hostport, "[") {
		if end := strings.Index(hostport, "]"); end > 0 {
			return hostport[1:end]
		}
	}
	if h, _, ok := strings.Cut(hostport, ":"); ok {
		return h
	}
	return hostport
}

// The distribution spec's grammar for path components, tags and digests.
var (
	componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagRE       = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE    = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
	hostRE      = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$`)
)

// ParseImage reads `REGISTRY/OWNER/NAME[:tag|@digest]`, or `OWNER/NAME` for
// ghcr.io. Its error says what is wrong; the caller names the input.
func ParseImage(ref string) (Image, error) {
	if ref == "" {
		return Image{}, fmt.Errorf("empty image reference")
	}
	if strings.Contains(ref, "://") {
		return Image{}, fmt.Errorf("%q has a URL scheme; write it as docker does, without one (e.g. ghcr.io/OWNER/NAME)", ref)
	}
	if strings.ContainsFunc(ref, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Image{}, fmt.Errorf("%q contains whitespace or a control character", ref)
	}
	name := ref
	if at := strings.Index(name, "@"); at >= 0 {
		if !digestRE.MatchString(name[at+1:]) {
			return Image{}, fmt.Errorf("%q has a malformed digest after '@'", ref)
		}
		name = name[:at]
	}
	if colon := strings.LastIndex(name, ":"); colon > strings.LastIndex(name, "/") {
		if !tagRE.MatchString(name[colon+1:]) {
			return Image{}, fmt.Errorf("%q has a malformed tag after ':'", ref)
		}
		name = name[:colon]
	}
	parts := strings.Split(name, "/")
	img := Image{Registry: DefaultRegistry}
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:[") || parts[0] == "localhost") {
		if !hostRE.MatchString(parts[0]) {
			return Image{}, fmt.Errorf("%q has a malformed registry host %q", ref, parts[0])
		}
		img.Registry = strings.ToLower(parts[0])
		parts = parts[1:]
	}
	if len(parts) < 2 {
		return Image{}, fmt.Errorf("%q names no owner; write it as REGISTRY/OWNER/NAME (e.g. ghcr.io/aibrix/gateway-plugins)", ref)
	}
	for _, p := range parts {
		switch {
		case p == "":
			return Image{}, fmt.Errorf("%q has an empty path segment", ref)
		case strings.ToLower(p) != p:
			return Image{}, fmt.Errorf("%q has uppercase letters in %q; image names must be lowercase (use %q)", ref, p, strings.ToLower(p))
		case !componentRE.MatchString(p):
			return Image{}, fmt.Errorf("%q has an invalid path segment %q (lowercase letters, digits and single separators . _ __ - only)", ref, p)
		}
	}
	img.Repository = strings.Join(parts, "/")
	return img, nil
}
