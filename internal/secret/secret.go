// Package secret owns what must never be written: the run's credentials in
// every form the program itself sent them or a server may echo them (raw,
// base64 of user:secret for HTTP Basic, URL-, Go-, JSON- and HTML-escaped),
// how text is redacted before it is cut or quoted, and how a value that may
// be a token is quoted. Every string that leaves the process passes through
// one Set.
package secret

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/token"
)

// Set remembers every credential of the run and scrubs it from text about to
// be written. Masking tells the runner; redaction makes sure our own bytes
// never needed it.
type Set struct {
	mu sync.Mutex
	// forms are every recorded form, longest first once sorted, so a
	// shorter form never leaves part of a longer one; known says which are
	// recorded, and unsorted that forms were added since the last sort.
	// Sorting once before use rather than at every add keeps adding many
	// forms linear: a value with thousands of whitespace-separated pieces
	// (a file pasted as a token) must not take seconds.
	forms    []string
	known    map[string]bool
	unsorted bool
	// raws are the values as given, for the partial-match rules: a server
	// may echo a token cut short, and a cut may land inside one.
	raws map[string]bool
	// windows maps every partialRun-long piece of a raw value to true.
	windows map[string]bool
	// onAdd is told every new form, so the caller can mask it at once.
	onAdd func(string)
}

// NewSet returns an empty set; onAdd, when not nil, is called with every new
// form as it is added (to emit ::add-mask::).
func NewSet(onAdd func(string)) *Set {
	return &Set{onAdd: onAdd, windows: map[string]bool{}, known: map[string]bool{}, raws: map[string]bool{}}
}

// Redacted is what every recorded form is replaced with.
const Redacted = "***"

// partialRun is the shortest run of a token's characters that counts as a
// piece of it wherever it appears: a server that echoes a token cut short
// (`ghp_abc123def456…`) still publishes that much of it. Runs are looked
// for only in values long enough (partialMin) that such a run is not a
// common word.
const (
	partialRun = 12
	partialMin = 20
)

// Add records v and every whitespace-separated fragment of it (a token pasted
// with a space inside is a secret in both halves), each in every escaped form
// a server may echo it in. Fragments shorter than token.MinLength are not
// plausible tokens and would garble ordinary text, so they are left out;
// config refuses such tokens before anything is sent.
func (s *Set) Add(v string) {
	pieces := append([]string{strings.TrimSpace(v)}, strings.Fields(v)...)
	var forms []string
	for _, p := range pieces {
		forms = append(forms, escapedForms(p)...)
	}
	s.add(pieces, forms)
}

// AddIssued records a token a server issued during the run (a registry's
// bearer token), unless it is made only of lowercase letters and the
// punctuation of scope and image names: such a "token" (a registry that
// answers write:packages) is a word, and masking it would turn the scopes
// output into repo,*** while hiding nothing anyone could use.
func (s *Set) AddIssued(v string) {
	if IsWordLike(v) {
		return
	}
	s.Add(v)
}

// IsWordLike reports a value that reads as ordinary text: shorter than any
// token, or only lowercase letters and : _ . / -.
func IsWordLike(v string) bool {
	if len(v) < token.MinLength {
		return true
	}
	return !strings.ContainsFunc(v, func(r rune) bool {
		return (r < 'a' || r > 'z') && !strings.ContainsRune(":_./-", r)
	})
}

// AddBasic records the HTTP Basic credentials user:pass as sent in an
// Authorization header (base64, both padded and not), besides pass itself.
func (s *Set) AddBasic(user, pass string) {
	s.Add(pass)
	raw := user + ":" + pass
	s.add(nil, []string{base64.StdEncoding.EncodeToString([]byte(raw)), base64.RawStdEncoding.EncodeToString([]byte(raw)),
		base64.URLEncoding.EncodeToString([]byte(raw))})
}

// escapedForms lists v as it may appear in text: raw, URL-encoded (query and
// path), inside a Go %q or a JSON string (a password holding " or \ is
// echoed escaped), and HTML-escaped.
func escapedForms(v string) []string {
	goQuoted := strconv.Quote(v)
	jsonQuoted, _ := json.Marshal(v)
	return []string{v, url.QueryEscape(v), url.PathEscape(v), goQuoted[1 : len(goQuoted)-1],
		string(jsonQuoted[1 : len(jsonQuoted)-1]), html.EscapeString(v)}
}

func (s *Set) add(raws, forms []string) {
	var added []string
	s.mu.Lock()
	for _, f := range forms {
		if len(f) < token.MinLength || s.known[f] {
			continue
		}
		s.known[f] = true
		s.forms = append(s.forms, f)
		s.unsorted = true
		added = append(added, f)
	}
	for _, r := range raws {
		if len(r) < partialMin || s.raws[r] {
			continue
		}
		s.raws[r] = true
		for i := 0; i+partialRun <= len(r); i++ {
			s.windows[r[i:i+partialRun]] = true
		}
	}
	s.mu.Unlock()
	if s.onAdd != nil {
		for _, f := range added {
			s.onAdd(f)
		}
	}
}

// Redact replaces every recorded form in text with ***, and then every run
// of partialRun or more characters of a recorded value. It is for values
// before they are serialised, never for serialised JSON.
func (s *Set) Redact(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.redact(text)
}

// sorted puts the forms longest first, if any were added since; the caller
// holds the lock.
func (s *Set) sorted() []string {
	if s.unsorted {
		slices.SortStableFunc(s.forms, func(a, b string) int { return len(b) - len(a) })
		s.unsorted = false
	}
	return s.forms
}

func (s *Set) redact(text string) string {
	for _, v := range s.sorted() {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	if len(s.windows) == 0 || len(text) < partialRun {
		return text
	}
	// Mark every byte covered by a window, then replace each marked run.
	var marked []bool
	for i := 0; i+partialRun <= len(text); i++ {
		if s.windows[text[i:i+partialRun]] {
			if marked == nil {
				marked = make([]bool, len(text))
			}
			for k := i; k < i+partialRun; k++ {
				marked[k] = true
			}
		}
	}
	if marked == nil {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if !marked[i] {
			b.WriteByte(text[i])
			i++
			continue
		}
		for i < len(text) && marked[i] {
			i++
		}
		b.WriteString(Redacted)
	}
	return b.String()
}

// Clip redacts text whole, then cuts it to at most n bytes, on a rune
// boundary, marking the cut with "…". Redacting first means a token is never
// cut into a piece that no longer matches; what a cut leaves at its edge
// that begins a recorded value (a server that sent only part of one) is
// redacted too, beyond the value's public prefix (ghp_, which every message
// may show).
func (s *Set) Clip(text string, n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	text = s.redact(text)
	if len(text) <= n {
		return text
	}
	cut := text[:n]
	for len(cut) > 0 && !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return s.redactEdge(cut) + "…"
}

// redactEdge replaces the longest tail of cut that is the start of a
// recorded form, when that tail is longer than the form's public prefix.
func (s *Set) redactEdge(cut string) string {
	longest := 0
	for _, v := range s.sorted() {
		public := len(token.PrefixOf(v))
		// The earliest start whose tail begins v is the longest piece.
		for i := len(cut) - min(len(v)-1, len(cut)); i < len(cut); i++ {
			k := len(cut) - i
			if k <= max(public, longest) {
				break
			}
			if cut[i] == v[0] && strings.HasPrefix(v, cut[i:]) {
				longest = k
				break
			}
		}
	}
	if longest == 0 {
		return cut
	}
	return cut[:len(cut)-longest] + Redacted
}

// Values returns every recorded form, for tests.
func (s *Set) Values() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sorted())
}

// MaxQuote is how much of a value Quote shows, in bytes.
const MaxQuote = 120

// Quote quotes a value for an error message, as %q does (control
// characters escaped), except that a value that starts like a token (a
// token pasted into the wrong input) is cut to its prefix and "…", as is
// every token-shaped word inside it (a path such as ./ghp_…), and a long
// value is cut to MaxQuote bytes.
func Quote(v string) string {
	if p := token.PrefixOf(v); p != "" {
		return strconv.Quote(p + "…")
	}
	v = RedactShaped(v)
	if len(v) > MaxQuote {
		return strconv.Quote(strings.ToValidUTF8(v[:MaxQuote], "") + "…")
	}
	return strconv.Quote(v)
}

// QuotePaths is err's message with every file path it carries (an
// *fs.PathError's, an *os.LinkError's) quoted through Quote: a path is
// what its user typed, which may be a token given where a path belongs
// (--tokens-file ghp_…), control characters, or 100 KB, and the os
// package would repeat it whole.
func QuotePaths(err error) string {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = strings.Replace(msg, pe.Error(), pe.Op+" "+Quote(pe.Path)+": "+pe.Err.Error(), 1)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		msg = strings.Replace(msg, le.Error(), le.Op+" "+Quote(le.Old)+" "+Quote(le.New)+": "+le.Err.Error(), 1)
	}
	return msg
}

// RedactShaped cuts every word of text that starts like a token (ghp_…,
// github_pat_…, dckr_pat_…) to its prefix and "…". It is for text that no
// Set has seen, such as a workflow file quoted back: a token written into
// a file by mistake is not repeated in full.
func RedactShaped(text string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		// Every prefix starts with g or d (token.PrefixOf).
		j := strings.IndexAny(text[i:], "gd")
		if j < 0 {
			break
		}
		i += j
		p := ""
		if i == 0 || !isTokenChar(text[i-1]) {
			p = token.PrefixOf(text[i:])
		}
		if p == "" {
			i++
			continue
		}
		end := i + len(p)
		for end < len(text) && isTokenChar(text[end]) {
			end++
		}
		b.WriteString(text[last:i])
		b.WriteString(p + "…")
		last, i = end, end
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func isTokenChar(c byte) bool {
	return c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// URL quotes a URL with its userinfo (a password) removed.
func URL(u *url.URL) string { return u.Redacted() }
