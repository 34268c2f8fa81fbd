package registry

import (
	"errors"
	"fmt"
	"strings"
)

// Challenge is a parsed WWW-Authenticate header: the scheme, and the
// auth-params with lower-cased names (realm, service, scope).
type Challenge struct {
	Scheme string
	Params map[string]string
}

// ParseChallenge reads one RFC 7235 challenge, such as
// `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/n:pull"`.
// Quoted values may hold commas and backslash escapes.
func ParseChallenge(v string) (Challenge, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Challenge{}, errors.New("no WWW-Authenticate header")
	}
	scheme, rest, _ := strings.Cut(v, " ")
	if scheme == "" || strings.ContainsAny(scheme, "=,\"") {
		return Challenge{}, fmt.Errorf("malformed scheme in %q", clip(v))
	}
	ch := Challenge{Scheme: scheme, Params: map[string]string{}}
	s := strings.TrimSpace(rest)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return Challenge{}, fmt.Errorf("malformed parameter in %q", clip(v))
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		if name == "" || strings.ContainsAny(name, " ,\"") {
			return Challenge{}, fmt.Errorf("malformed parameter name in %q", clip(v))
		}
		s = strings.TrimLeft(s[eq+1:], " ")
		var value string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(s); i++ {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return Challenge{}, fmt.Errorf("unterminated quoted value in %q", clip(v))
			}
			value, s = b.String(), s[i:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			value, s = strings.TrimSpace(s[:end]), s[end:]
		}
		ch.Params[name] = value
		s = strings.TrimSpace(s)
		if s != "" {
			if s[0] != ',' {
				return Challenge{}, fmt.Errorf("expected ',' between parameters in %q", clip(v))
			}
			s = strings.TrimSpace(s[1:])
		}
	}
	if strings.EqualFold(ch.Scheme, "bearer") && ch.Params["realm"] == "" {
		return Challenge{}, fmt.Errorf("bearer challenge without a realm in %q", clip(v))
	}
	return ch, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
