package secret

import (
	"encoding/base64"
	"net/url"
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
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%.20q) = %s, want %s", in, got, want)
		}
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
