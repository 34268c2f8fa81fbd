package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestAuditAloneIsTheAudit builds token-gate and -split's audit-only
// program as the bench does, and holds the second to printing what
// `token-gate audit` prints, exit status included, on every folder of
// testdata/audit, in whatever environment the test runs (a GitHub runner
// sets GITHUB_REPOSITORY): -split's figure compares the same work or
// nothing.
func TestAuditAloneIsTheAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay, pkg, err := overlayAuditOnly(tmp, root)
	if err != nil {
		t.Fatal(err)
	}
	gate, alone := filepath.Join(tmp, "token-gate"), filepath.Join(tmp, "alone")
	for _, b := range []struct{ out, pkg, overlay string }{{gate, ".", ""}, {alone, pkg, overlay}} {
		args := []string{"build", "-o", b.out}
		if b.overlay != "" {
			args = append(args, "-overlay", b.overlay)
		}
		build := exec.Command("go", append(args, b.pkg)...)
		build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", b.pkg, err, out)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "testdata", "audit", "*"))
	if len(dirs) < 5 {
		t.Fatalf("found %d folders under testdata/audit", len(dirs))
	}
	for _, dir := range dirs {
		if err := sameAudit([]string{gate, "audit", dir}, []string{alone, "audit", dir}); err != nil {
			t.Errorf("%s: %v", filepath.Base(dir), err)
		}
	}
}

// TestPhasesPatchApplies: -phases applies phases.patch to a worktree of
// HEAD, so a change to the files it times must make the patch again, in
// the same commit. (A working tree with changes of its own to those files
// is checked as it stands.)
func TestPhasesPatchApplies(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skip("not a git checkout")
	}
	check := exec.Command("git", "apply", "--check", filepath.Join("internal", "bench", "process", "phases.patch"))
	check.Dir = root
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("phases.patch does not apply (%v): make it again against the code it times\n%s", err, out)
	}
}
