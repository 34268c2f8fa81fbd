package image

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The grammar as the distribution spec writes it (and as this package once
// matched it): the hand-written matchers must agree with it on every
// string, which short random strings over each grammar's own characters
// and its neighbours explore.
var grammar = []struct {
	name  string
	re    *regexp.Regexp
	match func(string) bool
	chars string
	seeds []string
}{
	{"component", regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`), isComponent, "az09._-A+:/ \n",
		[]string{"gateway-plugins", "a__b", "a___b", "a--b", "a._b", "-a", "a-", "", "Ab", "a..b"}},
	{"tag", regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`), isTag, "aZ09_.-:+@ é",
		[]string{"v1.2.3", "_x", ".x", "-x", "", strings.Repeat("a", 128), strings.Repeat("a", 129), "latest\n"}},
	{"digest", regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`), isDigest, "az09.+_-:=AZ/@",
		[]string{"sha256:" + strings.Repeat("ab", 32), "sha256:", ":abc", "sha+256:x", "sha..256:x", "a:b:c", "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"}},
	{"host", regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$`), IsHost, "aZ09-.:[]fF/_",
		[]string{"ghcr.io", "localhost:5000", "[::1]:5000", "[::1]", "[]", "[::1]x", "a-.io", "-a.io", "a..io", "host:123456", "host:", ":80", "[fe80::1%eth0]", "127.0.0.1:65535"}},
}

func TestGrammarMatchesTheSpec(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range grammar {
		check := func(s string) {
			if got, want := g.match(s), g.re.MatchString(s); got != want {
				t.Errorf("%s %q: %v, the grammar says %v", g.name, s, got, want)
			}
		}
		for _, s := range g.seeds {
			check(s)
		}
		chars := []rune(g.chars)
		for range 200000 {
			b := make([]rune, rng.IntN(12))
			for i := range b {
				b[i] = chars[rng.IntN(len(chars))]
			}
			check(string(b))
		}
	}
}

func FuzzGrammar(f *testing.F) {
	for _, g := range grammar {
		for _, s := range g.seeds {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, g := range grammar {
			if got, want := g.match(s), g.re.MatchString(s); got != want {
				t.Errorf("%s %q: %v, the grammar says %v", g.name, s, got, want)
			}
		}
	})
}
