package release

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
)

var update = flag.Bool("update", false, "rewrite testdata/release/action.yml")

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestPinChangesOnlyTheImage pins the real action.yml and checks that the
// only line that changed is runs.image, and that every input and default is
// intact. The pinned file is kept in testdata/release, where a workflow in
// testdata/workflows uses it, so actionlint checks it in CI.
func TestPinChangesOnlyTheImage(t *testing.T) {
	t.Parallel()
	orig, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := Pin(orig, "ghcr.io/token-gate/token-gate", digest)
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Split(string(orig), "\n"), strings.Split(string(pinned), "\n")
	if len(a) != len(b) {
		t.Fatalf("%d lines became %d", len(a), len(b))
	}
	var changed []string
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, a[i]+" → "+b[i])
		}
	}
	if diff := cmp.Diff([]string{"  image: Dockerfile →   image: docker://ghcr.io/token-gate/token-gate@" + digest}, changed); diff != "" {
		t.Errorf("changed lines (-want +got):\n%s", diff)
	}

	path := filepath.Join("..", "..", "testdata", "release", "action.yml")
	if *update {
		if err := os.WriteFile(path, pinned, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/release -update)", err)
	}
	if string(kept) != string(pinned) {
		t.Errorf("%s is stale; go test ./internal/release -update", path)
	}
	before, err := fake.ActionInputs(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	after, err := fake.ActionInputs(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("inputs changed (-before +after):\n%s", diff)
	}

	// Pinning a pinned file again moves the pin and nothing else.
	again, err := Pin(pinned, "ghcr.io/token-gate/token-gate", strings.Replace(digest, "0123", "fedc", 1))
	if err != nil || strings.Count(string(again), "docker://") != 1 || len(again) != len(pinned) {
		t.Errorf("re-pin: %v\n%s", err, again)
	}
}

func TestPinRefuses(t *testing.T) {
	t.Parallel()
	yml := []byte("name: x\nruns:\n  using: docker\n  image: Dockerfile\n")
	for _, tc := range []struct{ image, digest string }{
		{"ghcr.io/token-gate/token-gate:v1", digest},
		{"ghcr.io/Token-Gate/token-gate", digest},
		{"ghcr.io/token-gate/token-gate", "sha256:abc"},
		{"ghcr.io/token-gate/token-gate", strings.ToUpper(digest)},
		{"", digest},
	} {
		if _, err := Pin(yml, tc.image, tc.digest); err == nil {
			t.Errorf("Pin(%q, %q) accepted", tc.image, tc.digest)
		}
	}
	if _, err := Pin([]byte("name: x\nruns:\n  using: node20\n  main: x.js\n"), "ghcr.io/o/n", digest); err == nil {
		t.Error("an action without runs.image was pinned")
	}
}
