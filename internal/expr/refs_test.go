package expr

import (
	"strings"
	"testing"
)

// Context names are read in any case, as GitHub reads them: Mentions finds
// SECRETS and Secrets, and TextRefs lists their paths.
func TestTextRefsAnyCase(t *testing.T) {
	for text, want := range map[string]string{
		"${{ SECRETS.Hub }}":                       "SECRETS.Hub",
		"x ${{ Secrets.A }} y ${{ github.actor }}": "Secrets.A github.actor",
		"${{ secrets[format('{0}', 'X')] }}":       "secrets",
		"${{ broken( }} ${{ secrets.B }}":          "secrets.B",
		"no expression secrets.X":                  "",
	} {
		var got []string
		for _, p := range TextRefs(text) {
			got = append(got, strings.Join(p, "."))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
		if want != "" && !Mentions(text, "secrets") {
			t.Errorf("%q: Mentions misses it", text)
		}
	}
	if Mentions("${{ github.token }}", "secrets") || Mentions("secret", "secrets") {
		t.Error("Mentions found what is not there")
	}
}
