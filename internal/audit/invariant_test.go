package audit

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/workflow"
)

// fixRepo writes the audit's fix into a copy of root, and returns the copy,
// the fixed files and the result the fix came from.
func fixRepo(t *testing.T, root string) (string, map[string][]byte, Result) {
	t.Helper()
	copyRoot := t.TempDir()
	if err := os.CopyFS(copyRoot, os.DirFS(root)); err != nil {
		t.Fatal(err)
	}
	repo, err := workflow.Load(copyRoot)
	if err != nil {
		t.Fatal(err)
	}
	res := Audit(repo, Options{})
	fixed := res.Fix()
	for path, data := range fixed {
		if err := os.WriteFile(filepath.Join(copyRoot, filepath.FromSlash(path)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return copyRoot, fixed, res
}

// fixRoots are every repository the fix is held to: the patterns under
// testdata/audit, the corpus of real release workflows, AIBrix's.
func fixRoots(t *testing.T) map[string]string {
	roots := map[string]string{}
	dirs, _ := filepath.Glob("../../testdata/audit/*/.github")
	for _, d := range dirs {
		roots[filepath.Base(filepath.Dir(d))] = filepath.Dir(d)
	}
	roots["patterns"] = layOut(t, patternsDir)
	if dir, why := fake.LookupAIBrix(); dir != "" {
		roots["aibrix"] = aibrixRepo(t)
		if corpus := filepath.Join(filepath.Dir(dir), "corpus"); isDir(corpus) {
			entries, _ := os.ReadDir(corpus)
			for _, e := range entries {
				if e.IsDir() {
					roots[e.Name()] = layOut(t, filepath.Join(corpus, e.Name()))
				}
			}
		}
	} else {
		t.Log(why)
	}
	return roots
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// The fix's promise, held mechanically on every repository: the files it
// writes parse; for every event and every way its conditions fall, with
// good credentials the fixed workflows run the same jobs and steps as the
// originals, in an order they allowed, and with empty secrets fail only
// where the originals did; a second fix changes nothing; what errors
// remain are the ones the fix said it could not answer; and actionlint
// finds nothing in the fixed files that it did not find before.
func TestFixKeepsWhatRuns(t *testing.T) {
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: "", Pyflakes: ""})
	if err != nil {
		t.Fatal(err)
	}
	for name, root := range fixRoots(t) {
		t.Run(name, func(t *testing.T) {
			fixedRoot, fixed, before := fixRepo(t, root)
			origRepo, err := workflow.Load(root)
			if err != nil {
				t.Fatal(err)
			}
			fixedRepo, err := workflow.Load(fixedRoot)
			if err != nil {
				t.Fatal(err)
			}
			for path := range fixed {
				orig, fix := origRepo.File(path), fixedRepo.File(path)
				if fix.Err != nil {
					t.Fatalf("%s does not parse after the fix: %v", path, fix.Err)
				}
				a, b := newAuditor(origRepo, Options{}), newAuditor(fixedRepo, Options{})
				r1, r2 := a.buildRun(orig), b.buildRun(fix)
				if why := samePlan(a.planner(r1), b.planner(r2)); why != "" {
					t.Errorf("%s: the fix changes what runs: %s", path, why)
				}
			}
			after := Audit(fixedRepo, Options{})
			if again := after.Fix(); len(again) != 0 {
				t.Errorf("a second fix changes %d files", len(again))
			}
			for _, f := range after.Findings {
				if f.Severity != Error {
					continue
				}
				said := false
				for _, b := range before.Findings {
					said = said || b.Code == f.Code && b.File == f.File && (strings.Contains(b.Fix, "Not written") || strings.Contains(b.Fix, "not held back"))
				}
				if !said && f.Code != CodeUnreadable {
					t.Errorf("after the fix: %s: %s (the fix did not say it could not answer it)", brief(f), f.Message)
				}
			}
			for path, data := range fixed {
				orig, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
				was := lint(t, linter, root, path, orig)
				for e := range lint(t, linter, fixedRoot, path, data) {
					if !was[e] {
						t.Errorf("actionlint, after the fix: %s: %s", path, e)
					}
				}
			}
		})
	}
}

// lint is actionlint's complaints about one file, without their places
// (the fix moves lines).
func lint(t *testing.T, linter *actionlint.Linter, root, path string, src []byte) map[string]bool {
	t.Helper()
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.Lint(filepath.Join(root, path), src, project)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range errs {
		out[e.Kind+": "+e.Message] = true
	}
	return out
}

// The fix's edits undone give the original back: it only inserts, and
// widens a needs: scalar into a list holding it.
func TestFixOnlyInserts(t *testing.T) {
	names := []string{}
	roots := fixRoots(t)
	for n := range roots {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		_, res := load(t, roots[name])
		for _, p := range res.fixes {
			if len(p.edits) == 0 {
				continue
			}
			src := string(p.file.Source)
			for _, e := range p.edits {
				old := src[e.Offset : e.Offset+e.Length]
				if e.Length > 0 && !strings.Contains(e.Text, old) {
					t.Errorf("%s %s: an edit replaces %q with %q, which does not keep it", name, p.file.Path, old, e.Text)
				}
			}
		}
	}
}
