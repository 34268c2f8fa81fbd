package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/release"
)

// The release's one command writes both files, the composite pinning every
// binary of SHA256SUMS, or, on a bad flag or a bad SHA256SUMS, neither.
func TestPinWritesBoth(t *testing.T) {
	dir := t.TempDir()
	action, composite := filepath.Join(dir, "action.yml"), filepath.Join(dir, "composite.yml")
	orig, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(action, orig, 0o644)
	os.WriteFile(composite, []byte("untouched"), 0o644)
	digest := "sha256:" + strings.Repeat("ab", 32)

	// SHA256SUMS as the release workflow writes it: sha256sum over dist/.
	var sums strings.Builder
	for _, target := range release.Targets {
		sum := sha256.Sum256([]byte("binary " + target))
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), target)
	}
	write := func(text string) string {
		path := filepath.Join(t.TempDir(), "SHA256SUMS")
		os.WriteFile(path, []byte(text), 0o644)
		return path
	}
	good := write(sums.String())

	for name, c := range map[string]struct{ version, sums string }{
		"a version without its v":  {"1.2.3", good},
		"no SHA256SUMS":            {"v1.2.3", ""},
		"an unreadable SHA256SUMS": {"v1.2.3", filepath.Join(dir, "nothing")},
		"a binary missing":         {"v1.2.3", write(strings.SplitAfterN(sums.String(), "\n", 2)[1])},
		"a replaced line":          {"v1.2.3", write(strings.Replace(sums.String(), sums.String()[:64], "not a digest", 1))},
	} {
		if err := pin("ghcr.io/token-gate/token-gate", digest, c.version, c.sums, action, composite); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if got, _ := os.ReadFile(composite); string(got) != "untouched" {
			t.Fatalf("%s: a refused run wrote the composite", name)
		}
		if got, _ := os.ReadFile(action); string(got) != string(orig) {
			t.Fatalf("%s: a refused run wrote action.yml", name)
		}
	}

	if err := pin("ghcr.io/token-gate/token-gate", digest, "v1.2.3", good, action, composite); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(action)
	c, _ := os.ReadFile(composite)
	if !strings.Contains(string(a), "  image: docker://ghcr.io/token-gate/token-gate@"+digest+"\n") {
		t.Errorf("action.yml not pinned:\n%s", a)
	}
	if !strings.Contains(string(c), "        TOKEN_GATE_VERSION: v1.2.3\n") || !strings.Contains(string(c), "using: composite") {
		t.Errorf("the composite does not download v1.2.3:\n%s", c)
	}
	for _, line := range strings.Split(strings.TrimSuffix(sums.String(), "\n"), "\n") {
		if !strings.Contains(string(c), "\n          "+line+"\n") {
			t.Errorf("the composite does not pin %q:\n%s", line, c)
		}
	}
}
