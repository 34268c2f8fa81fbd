// Package destination owns where a credential may be sent: which scheme a
// host may be spoken to with, and whether a URL is one of the hosts a
// credential belongs to. It is pure: the transport enforces its answers, and
// config uses them to refuse bad input before anything is sent.
package destination

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// IsLoopback reports whether host (without a port) names this machine:
// localhost, 127.0.0.0/8 or ::1. Docker itself speaks plain HTTP only to
// such registries (docs/facts.md, "Registries").
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Hostname strips the port from host[:port], and the brackets from an IPv6
// literal.
func Hostname(hostport string) string {
	return (&url.URL{Host: hostport}).Hostname()
}

// Scheme is how a host is spoken to: plain http for a loopback host, https for
// every other.
func Scheme(hostport string) string {
	if IsLoopback(Hostname(hostport)) {
		return "http"
	}
	return "https"
}

// Error is a request refused before it was sent.
type Error struct {
	URL    string // scheme://host, never a path, query or userinfo
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("refused to send the token to %s: %s", e.URL, e.Reason)
}

// CheckScheme says whether a credential may travel to u with u's scheme: https
// anywhere, plain http only to loopback hosts.
func CheckScheme(u *url.URL) error {
	where := u.Scheme + "://" + u.Host
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return &Error{URL: where, Reason: "plain http is allowed only to loopback hosts"}
	}
	return &Error{URL: where, Reason: "only https is supported"}
}

// Check says whether a credential may be sent to u: an allowed scheme, and
// one of hosts (host[:port], compared without case).
func Check(u *url.URL, hosts []string) error {
	if err := CheckScheme(u); err != nil {
		return err
	}
	for _, h := range hosts {
		if strings.EqualFold(h, u.Host) {
			return nil
		}
	}
	return &Error{URL: u.Scheme + "://" + u.Host, Reason: "not the configured API or registry host"}
}
