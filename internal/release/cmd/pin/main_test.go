package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The release's one command writes both files, or, on a bad flag, neither.
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

	if err := pin("ghcr.io/token-gate/token-gate", digest, "1.2.3", action, composite); err == nil {
		t.Fatal("a version without its v was accepted")
	}
	if got, _ := os.ReadFile(composite); string(got) != "untouched" {
		t.Fatal("a refused run wrote the composite")
	}
	if got, _ := os.ReadFile(action); string(got) != string(orig) {
		t.Fatal("a refused run wrote action.yml")
	}

	if err := pin("ghcr.io/token-gate/token-gate", digest, "v1.2.3", action, composite); err != nil {
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
}
