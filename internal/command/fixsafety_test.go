package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/finding"
)

// --fix writes no file reached through a link (the file it points at may
// serve other repositories, and renaming over the link would replace it):
// the audit plans none, and its findings say why. Nor a read-only file:
// that is said on stderr. Both stay as they were, with their findings; the
// other files are fixed.
func TestFixLeavesLinksAndReadOnlyFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := repoOf(t, "half-release/.github/workflows/release.yml")
	dir := filepath.Join(root, ".github", "workflows")
	src, err := os.ReadFile(filepath.Join(dir, "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(root, "shared")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "linked.yml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "..", "shared", "linked.yml"), filepath.Join(dir, "linked.yml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "locked.yml"), src, 0o444); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// root writes a 0444 file anyway; the refusal reads the mode, not
		// what the kernel would allow, so it is tested all the same.
		t.Log("running as root")
	}
	r := auditRun(t, e, nil, "--fix", root)
	if strings.Contains(r.Stderr, "linked.yml") || !strings.Contains(r.Stdout, "Not written: the file is a link, which --fix does not write through") {
		t.Errorf("the link:\n%s\n%s", r.Stderr, r.Stdout)
	}
	for _, want := range []string{
		"token-gate: not fixed: .github/workflows/locked.yml is read-only; make it writable (chmod u+w) and run --fix again",
		"token-gate: fixed .github/workflows/release.yml",
	} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	for _, p := range []string{filepath.Join(shared, "linked.yml"), filepath.Join(dir, "locked.yml")} {
		if got, _ := os.ReadFile(p); string(got) != string(src) {
			t.Errorf("%s was written", p)
		}
	}
	if info, err := os.Lstat(filepath.Join(dir, "linked.yml")); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "release.yml")); !strings.Contains(string(got), "preflight:") {
		t.Error("the writable file was not fixed")
	}
	if r.Code != ExitFail || !strings.Contains(r.Stdout, "linked.yml") || !strings.Contains(r.Stdout, "locked.yml") {
		t.Errorf("exit %d; the files not fixed keep their findings:\n%s", r.Code, r.Stdout)
	}
}

// A bug in token-gate is exit 2, not a verdict on the workflows; an error
// finding is 1.
func TestAuditExit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		findings []finding.Finding
		want     int
	}{
		{nil, ExitPass},
		{[]finding.Finding{{Code: audit.CodeUnchecked, Severity: finding.Warning}}, ExitPass},
		{[]finding.Finding{{Code: audit.CodePublishBeforeCheck, Severity: finding.Error}}, ExitFail},
		{[]finding.Finding{{Code: audit.CodePublishBeforeCheck, Severity: finding.Error}, {Code: audit.CodeInternal, Severity: finding.Error}}, ExitUsage},
	} {
		if got := auditExit(finding.Report{Findings: c.findings}); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.findings, got, c.want)
		}
	}
}

// github.repository is read from GITHUB_REPOSITORY, else from the
// checkout's remote origin, and the output says which; an image named by
// the repository then reads as the runner would fill it.
func TestAuditRepository(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wf := filepath.Join(t.TempDir(), "push.yml")
	if err := os.WriteFile(wf, []byte("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: u\n          password: ${{ secrets.CR_PAT }}\n      - run: docker push ghcr.io/${{ github.repository }}:latest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := repoOf(t, wf)
	if r := auditRun(t, e, nil, root); strings.Contains(r.Stdout, "github.repository read as") || !strings.Contains(r.Stdout, "ghcr.io/${{ github.repository }}") {
		t.Errorf("no repository known:\n%s", r.Stdout)
	}
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	config := "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = https://github.com/other/fork.git\n[Remote \"origin\"]\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n\turl = git@github.com:Acme/App.git\n"
	if err := os.WriteFile(filepath.Join(root, ".git", "config"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	r := auditRun(t, e, nil, root)
	if !strings.Contains(r.Stdout, "github.repository read as Acme/App (the git remote origin)") || !strings.Contains(r.Stdout, "ghcr.io/acme/app") {
		t.Errorf("from the remote origin:\n%s", r.Stdout)
	}
	r = auditRun(t, e, map[string]string{"GITHUB_REPOSITORY": "acme/other"}, root)
	if !strings.Contains(r.Stdout, "github.repository read as acme/other (GITHUB_REPOSITORY)") || !strings.Contains(r.Stdout, "ghcr.io/acme/other") {
		t.Errorf("from GITHUB_REPOSITORY:\n%s", r.Stdout)
	}
}

// The remote's url in every shape git writes, and the shapes that name no
// repository.
func TestRepositoryFromURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://github.com/acme/app.git":             "acme/app",
		"https://github.com/acme/app":                 "acme/app",
		"https://github.com/acme/app/":                "acme/app",
		"https://user@ghe.example.com/acme/app.git":   "acme/app",
		"ssh://git@github.com/acme/app.git":           "acme/app",
		"ssh://git@github.com:22/acme/app":            "acme/app",
		"git@github.com:acme/app.git":                 "acme/app",
		"github.com:acme/app":                         "acme/app",
		"git://github.com/acme/app.git":               "acme/app",
		"https://gitlab.com/group/sub/app.git":        "",
		"/srv/git/app.git":                            "",
		"../app":                                      "",
		"":                                            "",
		"https://github.com/acme":                     "",
		"https://github.com/acme/app\n[remote \"x\"]": "",
	} {
		if got := repositoryFromURL(raw); got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
}

// A worktree's .git is a file naming its folder, whose commondir holds the
// shared config.
func TestOriginOfAWorktree(t *testing.T) {
	t.Parallel()
	main := t.TempDir()
	wt := filepath.Join(main, ".git", "worktrees", "wt")
	if err := os.MkdirAll(wt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(main, ".git", "config"), []byte("[remote \"origin\"]\n\turl = https://github.com/acme/app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wt, "commondir"), []byte("../..\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkout := t.TempDir()
	if err := os.WriteFile(filepath.Join(checkout, ".git"), []byte("gitdir: "+wt+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := originRepository(checkout); got != "acme/app" {
		t.Errorf("worktree origin %q", got)
	}
}

// writeFixes itself refuses a link, whatever the plan says: the Lstat it
// makes before writing is the last guard.
func TestWriteFixesRefusesALink(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	target := filepath.Join(root, "elsewhere.yml")
	if err := os.WriteFile(target, []byte("on: push\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(root, "w.yml")); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	if err := writeFixes(root, map[string][]byte{"w.yml": []byte("changed\n")}, nil, &log); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "on: push\n" || !strings.Contains(log.String(), "not fixed: w.yml is a link") {
		t.Errorf("target %q, log %q", got, log.String())
	}
}
