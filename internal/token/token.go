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

// The kinds, from docs/facts.md "Token kinds".
const (
	ClassicPAT     Kind = "classic-pat"
	FineGrainedPAT Kind = "fine-grained-pat"
	OAuth          Kind = "oauth"
	UserToServer   Kind = "user-to-server"
	Installation   Kind = "installation"
	Refresh        Kind = "refresh"
	Unknown        Kind = "unknown"
	None           Kind = "none"

	// Registry credentials, for a registry other than GitHub's.
	DockerHubPAT Kind = "docker-hub-pat"
	DockerHubOAT Kind = "docker-hub-oat"
	Registry     Kind = "registry"
)

// RegistryKindOf names a credential for a registry other than GitHub's, from
// its prefix: Docker Hub's personal (dckr_pat_) and organization (dckr_oat_)
// access tokens (docs/facts.md, "Docker Hub"), or any other.
func RegistryKindOf(tok string) Kind {
	switch {
	case tok == "":
		return None
	case strings.HasPrefix(tok, "dckr_pat_"):
		return DockerHubPAT
	case strings.HasPrefix(tok, "dckr_oat_"):
		return DockerHubOAT
	}
	return Registry
}

// RefusedByPackages reports kinds that GitHub Packages never accepts: it
// takes only classic PATs and Actions' own GITHUB_TOKEN (docs/facts.md,
// "GitHub Packages"; github/roadmap#558 is still open).
func (k Kind) RefusedByPackages() bool {
	return k == FineGrainedPAT || k == UserToServer
}

// Renewable reports kinds that are regenerated on the classic tokens page
// with a prefilled form; every other kind is issued anew where it was made.
func (k Kind) Renewable() bool { return k == ClassicPAT || k == Unknown }

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

// PrefixOf returns the documented prefix v starts with, or "".
func PrefixOf(v string) string {
	for _, p := range prefixes {
		if strings.HasPrefix(v, p.prefix) {
			return p.prefix
		}
	}
	for _, p := range []string{"dckr_pat_", "dckr_oat_"} {
		if strings.HasPrefix(v, p) {
			return p
		}
	}
	return ""
}

// MinLength is the shortest value that may be a token. Every documented
// token is far longer (GitHub's are 40 characters and up, docs/facts.md
// "Token kinds"); a shorter secret is a mistake, and masking or redacting a
// common short word would garble the output.
const MinLength = 8

// MaxLength bounds a token: GitHub asked integrators to plan for 255
// characters, and stateless installation tokens run to about 520
// (docs/facts.md "Token kinds"). 4 KiB leaves room for growth while refusing
// a file pasted by mistake.
const MaxLength = 4096

// KindOf decides a token's kind from its prefix alone. Length and character
// set are never checked: stateless ghs_ tokens are about 520 characters and
// contain dots (docs/facts.md, "Token kinds"). Anything else, such as a 40-hex legacy
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
	case DockerHubPAT:
		return "Docker Hub personal access token"
	case DockerHubOAT:
		return "Docker Hub organization access token"
	case Registry:
		return "registry password or token"
	}
	return "token of unrecognised format"
}

// Clean trims surrounding whitespace, a pasted newline for instance, and
// rejects what cannot be a token sent in a header. The error never quotes the
// token. An empty result is no error: the caller applies on-missing.
func Clean(raw string) (string, error) {
	tok := strings.TrimSpace(raw)
	if len(tok) > MaxLength {
		return "", fmt.Errorf("it is %d bytes long, more than any token (at most %d); copy the token alone again", len(tok), MaxLength)
	}
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
	if tok != "" && len(tok) < MinLength {
		return "", fmt.Errorf("it is only %d characters long, too short to be a token; copy the whole token again", len(tok))
	}
	return tok, nil
}

// ParseExpiration reads GitHub-Authentication-Token-Expiration, which comes in
// two formats (docs/facts.md, "Headers", after go-github v62 parseTokenExpiration).
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
