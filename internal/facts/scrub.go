package facts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Scrubber is the run's redaction: secret.Set satisfies it. Redact replaces
// every recorded secret; Clip redacts, then cuts to n bytes.
type Scrubber interface {
	Redact(text string) string
	Clip(text string, n int) string
}

// How much of each kind of server text a report keeps. Everything a server
// said is held whole until the run's secrets are all known; only then is it
// redacted, its links broken, and cut to these lengths, in that order, so a
// token quoted past a cut can never survive in part.
const (
	BodyQuote     = 60  // the start of an answer that was not what was asked for
	RegistryQuote = 160 // a registry's words that are not its JSON errors
	MessageQuote  = 300 // a server's own message
	HeaderQuote   = 200 // a header value
	NameQuote     = 100 // a login, an organization, a request id
	ScopeQuote    = 64  // one scope name
	MaxScopes     = 64  // scope names kept from one X-OAuth-Scopes header
	URLQuote      = 500 // a URL the report may link to
)

// Scrubbed returns the facts with every string a server sent redacted,
// made inert and bounded. The gather step calls it once every request of
// the run is done, before the gate quotes anything.
func (t Token) Scrubbed(s Scrubber) Token {
	text := func(v string, n int) string { return s.Clip(Defang(s.Redact(v)), n) }
	if t.GitHub != nil {
		g := *t.GitHub
		g.Account = g.Account.scrubbed(s, text)
		g.Err = scrubErr(g.Err, s, text)
		t.GitHub = &g
	}
	if t.Login != nil {
		l := t.Login.scrubbed(text)
		t.Login = &l
	}
	if t.Images != nil {
		images := make([]ImageResult, len(t.Images))
		for i, r := range t.Images {
			images[i] = r.scrubbed(text)
		}
		t.Images = images
	}
	if t.Diagnoses != nil {
		ds := make(map[string]Diagnosis, len(t.Diagnoses))
		for k, d := range t.Diagnoses {
			d.Err = scrubErr(d.Err, s, text)
			ds[k] = d
		}
		t.Diagnoses = ds
	}
	return t
}

type textFunc func(v string, n int) string

func (a Account) scrubbed(s Scrubber, text textFunc) Account {
	a.Login = text(a.Login, NameQuote)
	a.ExpiryUnreadable = text(a.ExpiryUnreadable, HeaderQuote)
	a.RequestID = text(a.RequestID, NameQuote)
	if a.Scopes != nil {
		scopes := make([]string, 0, min(len(a.Scopes), MaxScopes))
		for _, sc := range a.Scopes[:min(len(a.Scopes), MaxScopes)] {
			scopes = append(scopes, text(sc, ScopeQuote))
		}
		a.Scopes = scopes
	}
	return a
}

func (r ImageResult) scrubbed(text textFunc) ImageResult {
	r.Message = text(r.Message, RegistryQuote)
	return r
}

// scrubErr copies err with its server text scrubbed. URLs that a report may
// link to (an SSO authorization, a token's settings page) are redacted and
// bounded but keep working: the gate links them only on the server's host.
func scrubErr(err error, s Scrubber, text textFunc) error {
	var (
		sso    *SSOError
		policy *PolicyError
		rl     *RateLimitError
		lock   *LockoutError
		down   *UnreachableError
		api    *APIError
		odd    *UnexpectedAnswerError
		refuse *RefusedError
		bad    *BadCredentialsError
	)
	link := func(u string) string { return s.Clip(u, URLQuote) }
	switch {
	case err == nil:
		return nil
	case errors.As(err, &sso):
		c := *sso
		c.Org, c.Message, c.RequestID, c.AuthorizeURL = text(c.Org, NameQuote), text(c.Message, MessageQuote), text(c.RequestID, NameQuote), link(c.AuthorizeURL)
		return &c
	case errors.As(err, &policy):
		c := *policy
		c.Org, c.Message, c.RequestID, c.SettingsURL = text(c.Org, NameQuote), text(c.Message, MessageQuote), text(c.RequestID, NameQuote), link(c.SettingsURL)
		return &c
	case errors.As(err, &rl):
		c := *rl
		c.Message, c.RequestID = text(c.Message, MessageQuote), text(c.RequestID, NameQuote)
		return &c
	case errors.As(err, &lock):
		c := *lock
		c.Message, c.RequestID = text(c.Message, MessageQuote), text(c.RequestID, NameQuote)
		return &c
	case errors.As(err, &down):
		c := *down
		c.RequestID = text(c.RequestID, NameQuote)
		if c.Err != nil {
			// A network error can quote what a server presented (a
			// certificate's names); it is held as text from here on.
			c.Err = errors.New(text(c.Err.Error(), MessageQuote))
		}
		return &c
	case errors.As(err, &api):
		c := *api
		c.Message, c.RequestID = text(c.Message, MessageQuote), text(c.RequestID, NameQuote)
		return &c
	case errors.As(err, &odd):
		c := *odd
		c.ContentType, c.Start = text(c.ContentType, BodyQuote), text(c.Start, BodyQuote)
		return &c
	case errors.As(err, &refuse):
		return &RefusedError{Reason: text(refuse.Reason, MessageQuote)}
	case errors.As(err, &bad):
		return &BadCredentialsError{RequestID: text(bad.RequestID, NameQuote)}
	}
	return errors.New(text(err.Error(), MessageQuote))
}

// Defang breaks what Markdown would turn into a link: a scheme's "://" and
// a bare "www.", so that text a server sent can never become a link in the
// step summary or an issue. A zero-width space goes between the characters;
// the words read the same.
func Defang(s string) string {
	if !strings.Contains(s, "://") && !containsWWW(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "://"):
			b.WriteString(":\u200b")
			continue
		case isWWW(s[i:]):
			b.WriteString(s[i:i+3] + "\u200b")
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isWWW reports "www." at the start of s, in any case (GitHub links WWW. too).
func isWWW(s string) bool { return len(s) >= 4 && strings.EqualFold(s[:4], "www.") }

func containsWWW(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if isWWW(s[i:]) {
			return true
		}
	}
	return false
}

// Quote puts server text in double quotes for a message. It escapes only
// what could end or garble the quote (" and \, control characters and
// invalid bytes, and the characters that break lines or reorder text) and
// leaves every other character as it is: %q would also
// turn the zero-width space that Defang puts into a link into a visible
// \u200b.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r) || reorders(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// reorders reports the characters that break a line or reorder what follows
// without showing themselves: line and paragraph separators, bidi controls.
func reorders(r rune) bool {
	return r == '\u2028' || r == '\u2029' || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
