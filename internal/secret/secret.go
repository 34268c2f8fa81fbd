// Package secret owns what must never be written: the run's credentials in
// every form the program itself sent them (raw, base64 of user:secret for
// HTTP Basic, URL-encoded), and how a value that may be a token is quoted.
// Every string that leaves the process passes through one Set.
package secret

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/token"
)

// Set remembers every credential of the run and scrubs it from text about to
// be written. Masking tells the runner; redaction makes sure our own bytes
// never needed it.
type Set struct {
	mu     sync.Mutex
	values []string
	// onAdd is told every new form, so the caller can mask it at once.
	onAdd func(string)
}

// NewSet returns an empty set; onAdd, when not nil, is called with every new
// form as it is added (to emit ::add-mask::).
func NewSet(onAdd func(string)) *Set { return &Set{onAdd: onAdd} }

// Add records v and every whitespace-separated fragment of it (a token pasted
// with a space inside is a secret in both halves), with the URL-encoded form
// of each. Fragments shorter than token.MinLength are not plausible tokens
// and would garble ordinary text, so they are left out; config refuses such
// tokens before anything is sent.
func (s *Set) Add(v string) {
	pieces := append([]string{strings.TrimSpace(v)}, strings.Fields(v)...)
	var forms []string
	for _, p := range pieces {
		forms = append(forms, p, url.QueryEscape(p), url.PathEscape(p))
	}
	s.add(forms...)
}

// AddBasic records the HTTP Basic credentials user:pass as sent in an
// Authorization header (base64, both padded and not), besides pass itself.
func (s *Set) AddBasic(user, pass string) {
	s.Add(pass)
	raw := user + ":" + pass
	s.add(base64.StdEncoding.EncodeToString([]byte(raw)), base64.RawStdEncoding.EncodeToString([]byte(raw)),
		base64.URLEncoding.EncodeToString([]byte(raw)))
}

func (s *Set) add(forms ...string) {
	var added []string
	s.mu.Lock()
	for _, f := range forms {
		if len(f) < token.MinLength || slices.Contains(s.values, f) {
			continue
		}
		s.values = append(s.values, f)
		added = append(added, f)
	}
	// Longest first, so a fragment never leaves part of a longer secret.
	slices.SortStableFunc(s.values, func(a, b string) int { return len(b) - len(a) })
	s.mu.Unlock()
	if s.onAdd != nil {
		for _, f := range added {
			s.onAdd(f)
		}
	}
}

// Redact replaces every recorded form in text with ***. It is for values
// before they are serialised, never for serialised JSON.
func (s *Set) Redact(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, "***")
		}
	}
	return text
}

// Values returns every recorded form, for tests.
func (s *Set) Values() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.values)
}

// Quote quotes a value for an error message, as %q does, except that a value
// that starts like a token (a token pasted into the wrong input) is cut to
// its prefix and "…", and a long value is cut to 120 bytes.
func Quote(v string) string {
	if p := token.PrefixOf(v); p != "" {
		return strconv.Quote(p + "…")
	}
	if len(v) > 120 {
		return strconv.Quote(strings.ToValidUTF8(v[:120], "") + "…")
	}
	return strconv.Quote(v)
}

// URL quotes a URL with its userinfo (a password) removed.
func URL(u *url.URL) string { return u.Redacted() }
