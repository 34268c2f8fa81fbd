package fake

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// TestLeaksEitherWay: the leak scan finds the same leaks whether the text
// is longer than its secrets (the secrets are indexed) or shorter (the
// text is): whole, escaped, as Basic credentials, or in part; and a run of
// one repeated character (a fake token's padding) is no leak.
func TestLeaksEitherWay(t *testing.T) {
	t.Parallel()
	tok := "ghp_Zq7Yx2Wv9Ut4Sr6Qp1On3Ml5Kj8Ih0Gf2Ed4C"
	for name, text := range map[string]string{
		"raw":         "said " + tok,
		"url-escaped": "said " + url.QueryEscape(tok+"+/"),
		"basic":       "said " + base64.StdEncoding.EncodeToString([]byte("token-gate:"+tok)),
		"in part":     "said …" + tok[10:30] + "…",
	} {
		secret := tok
		if name == "url-escaped" {
			secret = tok + "+/"
		}
		long := text + strings.Repeat(" filler", 100) // text longer than the secrets
		if got := Leaks(long, secret); len(got) != 1 {
			t.Errorf("%s, long text: %v", name, got)
		}
		if got := Leaks(text, secret, strings.Repeat("q", 10_000)); len(got) != 1 {
			t.Errorf("%s, short text: %v", name, got)
		}
	}
	padding := "ghp_" + strings.Repeat("x", 36)
	for _, text := range []string{"ghp_… as redacted, then " + strings.Repeat("x", 40), strings.Repeat("x", 500)} {
		if got := Leaks(text, padding); len(got) != 0 {
			t.Errorf("padding counted as a leak in %.30q: %v", text, got)
		}
		if got := Leaks(text, padding, strings.Repeat("q", 10_000)); len(got) != 0 {
			t.Errorf("padding counted as a leak in short text %.30q: %v", text, got)
		}
	}
	if got := Leaks("::add-mask::"+tok+"\nclean", tok); len(got) != 0 {
		t.Errorf("a mask line counted: %v", got)
	}
	if got := Leaks("::add-mask::"+tok+"\nclean", tok, strings.Repeat("q", 10_000)); len(got) != 0 {
		t.Errorf("a mask line counted in short text: %v", got)
	}
}
