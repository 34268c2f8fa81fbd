// Package image owns container image references: how `packages` entries are
// read, which registry an entry means, and which registry is GitHub's own for
// a given API server. It is pure, so config and the gate can use it without
// touching the network.
package image

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/destination"
	"github.com/token-gate/token-gate/internal/secret"
)

// GHCR is github.com's container registry.
const GHCR = "ghcr.io"

// MaxImages bounds the `packages` input, counted after duplicates (the same
// repository under another tag or digest) are dropped.
const MaxImages = 50

// GitHubRegistry is the container registry of the GitHub server whose REST
// API is at apiHost: ghcr.io for github.com, containers.SUBDOMAIN.ghe.com
// for GHE.com's api.SUBDOMAIN.ghe.com, containers.HOST for a GitHub
// Enterprise Server at HOST (docs/facts.md, "Registries"). A loopback API (a
// local fake or mirror) keeps ghcr.io's name; tests name their loopback
// registry explicitly.
func GitHubRegistry(apiHost string) string {
	host := strings.ToLower(destination.Hostname(apiHost))
	if host == "api.github.com" || destination.IsLoopback(host) {
		return GHCR
	}
	if sub, ok := GHEComSubdomain(host); ok {
		return "containers." + sub + ".ghe.com"
	}
	return "containers." + host
}

// GHEComSubdomain reads SUBDOMAIN from GHE.com's API host,
// api.SUBDOMAIN.ghe.com (docs/facts.md, "Registries").
func GHEComSubdomain(apiHost string) (string, bool) {
	host := strings.ToLower(destination.Hostname(apiHost))
	sub, ok := strings.CutSuffix(strings.TrimPrefix(host, "api."), ".ghe.com")
	if !ok || !strings.HasPrefix(host, "api.") || sub == "" || strings.Contains(sub, ".") {
		return "", false
	}
	return sub, true
}

// Image is a parsed reference with any tag or digest dropped: push rights
// belong to the repository, not the tag.
type Image struct {
	Registry   string // host[:port]
	Repository string // owner/name
}

// String is the reference as people write it: Docker Hub's images as
// docker.io/OWNER/NAME, the name Docker itself shows, though
// registry-1.docker.io serves them.
func (i Image) String() string { return DisplayHost(i.Registry) + "/" + i.Repository }

// DisplayHost names a registry host as people write it: docker.io for the
// host that serves Docker Hub.
func DisplayHost(host string) string {
	if host == DockerHub {
		return "docker.io"
	}
	return host
}

// Owner is the first path segment: the user or organization that owns the
// package on GitHub's registry.
func (i Image) Owner() string {
	owner, _, _ := strings.Cut(i.Repository, "/")
	return owner
}

// Name is the package name under its owner; on GitHub it may hold slashes.
func (i Image) Name() string {
	_, name, _ := strings.Cut(i.Repository, "/")
	return name
}

// Scheme is plain http for a loopback registry, as Docker does for local
// registries, and https for every other (docs/facts.md, "Registries").
func (i Image) Scheme() string { return destination.Scheme(i.Registry) }

// OnLoopback reports an image on a registry on this machine: a test's fake or
// a local mirror, which stands in for GitHub's registry.
func (i Image) OnLoopback() bool { return destination.IsLoopback(destination.Hostname(i.Registry)) }

// The distribution spec's grammar for path components, tags and digests,
// and a registry host[:port], matched by hand: as regular expressions they
// were compiled on first use, and the tag's {0,127} alone compiled to 128
// nested options, which every short audit process paid for (docs/speed.md).
// The expressions stay in the tests, which check these against them.

// isComponent matches [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*.
func isComponent(s string) bool {
	for i := 0; ; {
		j := i
		for j < len(s) && isLowerAlnum(s[j]) {
			j++
		}
		switch {
		case j == i:
			return false
		case j == len(s):
			return true
		case s[j] == '.':
			j++
		case s[j] == '_':
			j++
			if j < len(s) && s[j] == '_' {
				j++
			}
		case s[j] == '-':
			for j < len(s) && s[j] == '-' {
				j++
			}
		default:
			return false
		}
		i = j
	}
}

// isTag matches [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func isTag(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isDigest matches [a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+.
func isDigest(s string) bool {
	algorithm, encoded, ok := strings.Cut(s, ":")
	if !ok || encoded == "" {
		return false
	}
	for i := 0; ; {
		j := i
		for j < len(algorithm) && isLowerAlnum(algorithm[j]) {
			j++
		}
		switch {
		case j == i:
			return false
		case j == len(algorithm):
			for k := 0; k < len(encoded); k++ {
				if c := encoded[k]; !isAlnum(c) && c != '=' && c != '_' && c != '-' {
					return false
				}
			}
			return true
		case strings.IndexByte(".+_-", algorithm[j]) < 0:
			return false
		}
		i = j + 1
	}
}

// IsHost reports whether s is a registry host[:port]: dot-separated labels
// of letters, digits and inner hyphens, or an IP literal in brackets, then
// at most five digits of port.
func IsHost(s string) bool {
	host, port, hasPort := s, "", false
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 2 {
			return false
		}
		for i := 1; i < end; i++ {
			if c := s[i]; !isHexDigit(c) && c != ':' && c != '.' {
				return false
			}
		}
		host, port = "", s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port, hasPort = port[1:], true
		}
	} else {
		host, port, hasPort = strings.Cut(s, ":")
		for label := range strings.SplitSeq(host, ".") {
			if label == "" || !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
				return false
			}
			for i := 1; i < len(label)-1; i++ {
				if !isAlnum(label[i]) && label[i] != '-' {
					return false
				}
			}
		}
	}
	if !hasPort {
		return true
	}
	if port == "" || len(port) > 5 {
		return false
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// DockerHub is the host that serves docker.io (docs/facts.md, "Docker Hub").
const DockerHub = "registry-1.docker.io"

// RegistryHost maps the names Docker gives Docker Hub to the host that serves
// it, and lower-cases any other.
func RegistryHost(name string) string {
	switch n := strings.ToLower(name); n {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return DockerHub
	default:
		return n
	}
}

// RegistryFromInput reads a registry as people write it, in a registry
// input or a login: a host, or the key Docker stores in config.json
// (https://index.docker.io/v1/), with or without a scheme and a /v1/ or
// /v2/ API suffix; Docker Hub's names all mean its one host.
func RegistryFromInput(v string) string {
	host := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(v), "https://"), "http://")
	host = strings.TrimSuffix(host, "/")
	for _, api := range []string{"/v1", "/v2"} {
		host = strings.TrimSuffix(host, api)
	}
	return RegistryHost(host)
}

// TokenServiceHosts lists the hosts besides the registry itself that its
// token service may live on: only known pairs, so that a challenge cannot
// send a credential anywhere it names (docs/facts.md, "Docker Hub").
func TokenServiceHosts(registry string) []string {
	if registry == DockerHub {
		return []string{"auth.docker.io"}
	}
	return nil
}

// Parse reads `REGISTRY/OWNER/NAME[:tag|@digest]`, or `OWNER/NAME` on
// defaultRegistry. Its error says what is wrong; the caller names the input.
func Parse(ref, defaultRegistry string) (Image, error) {
	if ref == "" {
		return Image{}, fmt.Errorf("empty image reference")
	}
	// A token pasted into the wrong input is quoted only by its prefix.
	q := secret.Quote(ref)
	if strings.Contains(ref, "://") {
		return Image{}, fmt.Errorf("%s has a URL scheme; write it as docker does, without one (e.g. ghcr.io/OWNER/NAME)", q)
	}
	if strings.ContainsFunc(ref, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Image{}, fmt.Errorf("%s contains whitespace or a control character", q)
	}
	name := ref
	if at := strings.Index(name, "@"); at >= 0 {
		if !isDigest(name[at+1:]) {
			return Image{}, fmt.Errorf("%s has a malformed digest after '@'", q)
		}
		name = name[:at]
	}
	if colon := strings.LastIndex(name, ":"); colon > strings.LastIndex(name, "/") {
		if !isTag(name[colon+1:]) {
			return Image{}, fmt.Errorf("%s has a malformed tag after ':'", q)
		}
		name = name[:colon]
	}
	parts := strings.Split(name, "/")
	img := Image{Registry: defaultRegistry}
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:[") || parts[0] == "localhost") {
		if !IsHost(parts[0]) {
			return Image{}, fmt.Errorf("%s has a malformed registry host %s", q, secret.Quote(parts[0]))
		}
		img.Registry = RegistryHost(parts[0])
		parts = parts[1:]
	}
	if len(parts) == 1 && img.Registry == DockerHub {
		// Docker Hub's official images: nginx is library/nginx.
		parts = []string{"library", parts[0]}
	}
	if len(parts) < 2 {
		return Image{}, fmt.Errorf("%s names no owner; write it as REGISTRY/OWNER/NAME (e.g. ghcr.io/aibrix/gateway-plugins)", q)
	}
	for _, p := range parts {
		switch {
		case p == "":
			return Image{}, fmt.Errorf("%s has an empty path segment", q)
		case strings.ToLower(p) != p:
			return Image{}, fmt.Errorf("%s has uppercase letters in %s; image names must be lowercase (use %s)", q, secret.Quote(p), secret.Quote(strings.ToLower(p)))
		case !isComponent(p):
			return Image{}, fmt.Errorf("%s has an invalid path segment %s (lowercase letters, digits and single separators . _ __ - only)", q, secret.Quote(p))
		}
	}
	img.Repository = strings.Join(parts, "/")
	return img, nil
}
