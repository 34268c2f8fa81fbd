package registry

import (
	"errors"
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
// Quoted values may hold commas and backslash escapes. An error says what
// is wrong without quoting the header: the caller quotes it whole, so that
// it is redacted before anything cuts it (docs/facts.md, "Server text").
func ParseChallenge(v string) (Challenge, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Challenge{}, errors.New("no WWW-Authenticate header")
	}
	scheme, rest, _ := strings.Cut(v, " ")
	if scheme == "" || strings.ContainsAny(scheme, "=,\"") {
		return Challenge{}, errors.New("malformed scheme")
	}
	ch := Challenge{Scheme: scheme, Params: map[string]string{}}
	s := strings.TrimSpace(rest)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return Challenge{}, errors.New("malformed parameter")
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		if name == "" || strings.ContainsAny(name, " ,\"") {
			return Challenge{}, errors.New("malformed parameter name")
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
				return Challenge{}, errors.New("unterminated quoted value")
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
				return Challenge{}, errors.New("no ',' between parameters")
			}
			s = strings.TrimSpace(s[1:])
		}
	}
	if strings.EqualFold(ch.Scheme, "bearer") && ch.Params["realm"] == "" {
		return Challenge{}, errors.New("bearer challenge without a realm")
	}
	return ch, nil
}
