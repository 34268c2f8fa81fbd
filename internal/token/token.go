// Package token owns what a GitHub token is: its kind, read from the prefix
// alone; the classic scopes and what each implies; and the expiry header and
// the arithmetic of days left. It makes no requests and prints nothing.
package token

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Kind is a token's kind, spelled as the `token-type` output spells it.
type Kind string

// The kinds, from github-tokens.md §1.
const (
	ClassicPAT     Kind = "classic-pat"
	FineGrainedPAT Kind = "fine-grained-pat"
	OAuth          Kind = "oauth"
	UserToServer   Kind = "user-to-server"
	Installation   Kind = "installation"
	Refresh        Kind = "refresh"
	Unknown        Kind = "unknown"
	None           Kind = "none"
)

// prefixes maps each documented prefix to its kind. "github_pat_" must not be
// mistaken for anything shorter, so order does not matter: no prefix is a
// prefix of another.
var prefixes = []struct {
	prefix string
	kind   Kind
}{
	{"ghp_", ClassicPAT},
	{"github_pat_", FineGrainedPAT},
	{"gho_", OAuth},
	{"ghu_", UserToServer},
	{"ghs_", Installation},
	{"ghr_", Refresh},
}

// KindOf decides a token's kind from its prefix alone. Length and character
// set are never checked: stateless ghs_ tokens are about 520 characters and
// contain dots (github-tokens.md §1). Anything else, such as a 40-hex legacy
// token, is Unknown and the API's answer decides.
func KindOf(tok string) Kind {
	if tok == "" {
		return None
	}
	for _, p := range prefixes {
		if strings.HasPrefix(tok, p.prefix) {
			return p.kind
		}
	}
	return Unknown
}

// HasScopes reports whether GitHub reports classic scopes for this kind.
func (k Kind) HasScopes() bool {
	return k == ClassicPAT || k == OAuth
}

// ShortLived reports kinds that GitHub issues for hours, not days, so that an
// expiry warning would fire on every run and mean nothing.
func (k Kind) ShortLived() bool {
	return k == Installation || k == UserToServer
}

// Describe names the kind for people.
func (k Kind) Describe() string {
	switch k {
	case ClassicPAT:
		return "classic personal access token"
	case FineGrainedPAT:
		return "fine-grained personal access token"
	case OAuth:
		return "OAuth app token"
	case UserToServer:
		return "GitHub App user-to-server token"
	case Installation:
		return "GitHub App installation token (such as GITHUB_TOKEN)"
	case Refresh:
		return "GitHub App refresh token"
	case None:
		return "no token"
	}
	return "token of unrecognised format"
}

// Clean trims surrounding whitespace, a pasted newline for instance, and
// rejects what cannot be a token sent in a header. The error never quotes the
// token.
func Clean(raw string) (string, error) {
	tok := strings.TrimSpace(raw)
	for i, r := range tok {
		switch {
		case r > unicode.MaxASCII:
			return "", fmt.Errorf("it contains a non-ASCII character at position %d; copy the token again from GitHub", i+1)
		case unicode.IsSpace(r):
			return "", fmt.Errorf("it contains whitespace at position %d; a token is one word, so copy it again from GitHub", i+1)
		case unicode.IsControl(r):
			return "", fmt.Errorf("it contains a control character at position %d; copy the token again from GitHub", i+1)
		}
	}
	return tok, nil
}

// ParseExpiration reads GitHub-Authentication-Token-Expiration, which comes in
// two formats (github-tokens.md §2, after go-github v62 parseTokenExpiration).
// The result is in UTC.
func ParseExpiration(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, errors.New("empty expiry header")
	}
	for _, layout := range []string{"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			// "MST" parses any abbreviation; only UTC is documented, and an
			// unknown zone would be silently taken as +0000.
			if layout[20:] == "MST" && !strings.HasSuffix(v, " UTC") && !strings.HasSuffix(v, " GMT") {
				continue
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised expiry %q", truncate(v, 60))
}

// DaysLeft is the whole days from now until t, rounded down; negative once t
// has passed.
func DaysLeft(t, now time.Time) int {
	d := t.Sub(now)
	days := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days--
	}
	return days
}

// Within reports whether t comes before now plus days whole days. Zero days is
// never within: "0" disables a threshold.
func Within(t, now time.Time, days int) bool {
	return days > 0 && t.Before(now.Add(time.Duration(days)*24*time.Hour))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
