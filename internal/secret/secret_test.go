package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
)

func TestSetRedactsEveryForm(t *testing.T) {
	t.Parallel()
	var masked []string
	s := NewSet(func(v string) { masked = append(masked, v) })
	tok := "ghp_abc+/=defghijklmnopqrstuvwxyz0123456"
	s.AddBasic("token-gate", tok)
	s.Add("   ")      // nothing
	s.Add("short")    // under MinLength: not a token, never masked
	s.Add("two part") // a token pasted with a space: both halves... of plausible length only
	basic := base64.StdEncoding.EncodeToString([]byte("token-gate:" + tok))
	text := "raw " + tok + " query " + url.QueryEscape(tok) + " path " + url.PathEscape(tok) + " basic " + basic + " raw64 " + strings.TrimRight(basic, "=")
	got := s.Redact(text)
	if want := "raw *** query *** path *** basic *** raw64 ***"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	for _, m := range masked {
		if len(m) < 8 {
			t.Errorf("masked %q, shorter than any token", m)
		}
	}
	if s.Redact("short words stay short") != "short words stay short" {
		t.Error("a value under MinLength was redacted")
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ghcr.io/o/n":                    `"ghcr.io/o/n"`,
		"ghp_" + strings.Repeat("a", 36): `"ghp_…"`,
		"github_pat_11ABC_def":           `"github_pat_…"`,
		"dckr_pat_abcdefghijklmnop":      `"dckr_pat_…"`,
		strings.Repeat("x", 200):         `"` + strings.Repeat("x", 120) + `…"`,
		"a\x1bb":                         `"a\x1bb"`,
		// A token inside a value, a path for instance, is cut to its prefix.
		"./tokens/ghp_" + strings.Repeat("a", 36) + ".txt": `"./tokens/ghp_….txt"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%.20q) = %s, want %s", in, got, want)
		}
	}
}

// TestQuotePaths: the paths an error of the os package repeats are quoted
// as any value is: a token given as a path shows its prefix only, control
// characters are escaped, and a 100 KB path is clipped; the cause stays.
func TestQuotePaths(t *testing.T) {
	t.Parallel()
	tok := "ghp_" + strings.Repeat("k", 36)
	long := strings.Repeat("d", 100_000)
	for _, tc := range []struct {
		path string
		want string
	}{
		{tok, `open "ghp_…": `},
		{"/tmp/\x1b[2Jtokens", `open "/tmp/\x1b[2Jtokens": `},
		{long, `open "` + strings.Repeat("d", MaxQuote) + `…": `},
	} {
		_, err := os.Open(tc.path)
		if err == nil {
			t.Fatalf("%.20q opened", tc.path)
		}
		for _, e := range []error{err, fmt.Errorf("flag --tokens-file: %w", err)} {
			got := QuotePaths(e)
			if !strings.Contains(got, tc.want) || strings.Contains(got, tok) || strings.Contains(got, "\x1b") || len(got) > 400 {
				t.Errorf("QuotePaths(%.40q) = %.300q; want it to hold %q", e.Error(), got, tc.want)
			}
		}
	}
	if got := QuotePaths(errors.New("no path here")); got != "no path here" {
		t.Errorf("an error without a path changed: %q", got)
	}
}

// BenchmarkAddLargeValue adds 1 MiB of random bytes, as a file piped in as a
// token would be, with its thousands of whitespace-separated pieces: it
// must stay linear in the pieces (go test -bench AddLargeValue -benchmem
// ./internal/secret).
func BenchmarkAddLargeValue(b *testing.B) {
	data := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(data)
	for b.Loop() {
		s := NewSet(nil)
		s.Add(string(data))
		s.Redact("a report line")
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	f.Add("ghcr.io/o/n")
	f.Fuzz(func(t *testing.T, v string) {
		q := Quote(v)
		if len(v) > 16 && strings.HasPrefix(v, "ghp_") && strings.Contains(q, v[4:16]) {
			t.Errorf("Quote(%q) = %s shows the token", v, q)
		}
		if len(q) > 130*4 {
			t.Errorf("Quote made %d bytes", len(q))
		}
	})
}

// TestClipRedactsBeforeItCuts: a token that a cut would split is redacted
// whole first, and what a cut leaves of a recorded value at its edge (a
// server that sent only part of one) is redacted beyond its public prefix.
func TestClipRedactsBeforeItCuts(t *testing.T) {
	t.Parallel()
	s := NewSet(nil)
	tok := "ghp_leak" + strings.Repeat("0123456789", 3) + "abcd"
	s.Add(tok)
	text := strings.Repeat(".", 50) + tok + " and more"
	if got := s.Clip(text, 60); got != strings.Repeat(".", 50)+"*** and mo…" {
		t.Errorf("Clip = %q", got)
	}
	// The server itself sent 10 characters of the token, at the cut.
	partial := strings.Repeat(".", 50) + tok[:10]
	if got := s.Clip(partial+"zzzzzz", 60); got != strings.Repeat(".", 50)+"***…" {
		t.Errorf("Clip of a piece at the edge = %q", got)
	}
	// The public prefix alone is no piece of the secret.
	if got := s.Clip(strings.Repeat(".", 56)+"ghp_"+"zzzz", 60); got != strings.Repeat(".", 56)+"ghp_…" {
		t.Errorf("Clip of the public prefix = %q", got)
	}
	if got := s.Clip("short", 60); got != "short" {
		t.Errorf("Clip of a short text = %q", got)
	}
	if got := s.Clip("ééééé", 3); got != "é…" {
		t.Errorf("Clip cuts inside a rune: %q", got)
	}
}

// TestRedactsEscapedForms: a password holding " and \ is echoed escaped by
// a JSON body or a Go quote, and HTML-escaped by a page; every form is
// redacted, and so is a run of 12 or more of a long token's characters.
func TestRedactsEscapedForms(t *testing.T) {
	t.Parallel()
	s := NewSet(nil)
	const password = `pa"ss\wo"rd-1234567`
	s.Add(password)
	for _, text := range []string{
		`{"details":"incorrect password pa\"ss\\wo\"rd-1234567"}`,
		`quoted "pa\"ss\\wo\"rd-1234567" here`,
		`<p>pa&#34;ss\wo&#34;rd-1234567</p>`,
		"raw " + password,
	} {
		if got := s.Redact(text); strings.Contains(got, "1234567") {
			t.Errorf("Redact(%s) = %s", text, got)
		}
	}
	tok := "ghp_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
	s.Add(tok)
	if got := s.Redact("echoed in part: " + tok[:16] + "..."); strings.Contains(got, tok[4:16]) {
		t.Errorf("a 16-character piece survived: %q", got)
	}
}

// TestAddIssued: a server-issued token that reads as a word is not masked,
// so it cannot garble outputs; anything else is.
func TestAddIssued(t *testing.T) {
	t.Parallel()
	var masked []string
	s := NewSet(func(v string) { masked = append(masked, v) })
	s.AddIssued("write:packages")
	s.AddIssued("repository:aibrix/runtime:pull")
	if len(masked) != 0 || s.Redact("repo,write:packages") != "repo,write:packages" {
		t.Errorf("a word was masked: %q", masked)
	}
	s.AddIssued("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
	if len(masked) == 0 {
		t.Error("a JWT-shaped registry token was not masked")
	}
}

func TestRedactShaped(t *testing.T) {
	tok := "ghp_" + strings.Repeat("x", 36)
	cases := map[string]string{
		"docker login -p " + tok + " ghcr.io":     "docker login -p ghp_… ghcr.io",
		`password: "` + tok + `"`:                 `password: "ghp_…"`,
		"a=github_pat_" + strings.Repeat("Y", 82): "a=github_pat_…",
		"dckr_pat_abcDEF-123_x and more":          "dckr_pat_… and more",
		"xghp_notatoken stays":                    "xghp_notatoken stays",
		"nothing here":                            "nothing here",
	}
	for in, want := range cases {
		if got := RedactShaped(in); got != want {
			t.Errorf("RedactShaped(%q) = %q; want %q", in, got, want)
		}
	}
}
