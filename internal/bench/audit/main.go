// Command audit measures the workflow audit against the field's own
// workflow linter on the same files:
//
//	go run ./internal/bench/audit                  # AIBrix's nine workflows
//	go run ./internal/bench/audit -runs 201 DIR    # DIR holds .github/workflows
//
// Each run reads every file of DIR/.github/workflows from disk and judges
// it: token-gate with workflow.Load and audit.Audit, actionlint with its
// Linter (every rule, no shellcheck or pyflakes, which it runs as separate
// processes). Runs alternate so that a loaded machine slows both alike; it
// prints the median of each and their ratio. Without DIR it lays out
// AIBrix's workflows from $TOKEN_GATE_AIBRIX_WORKFLOWS or
// ../shared/workflows/aibrix.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/rhysd/actionlint"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/workflow"
)

func main() {
	runs := flag.Int("runs", 101, "runs of each")
	flag.Parse()
	if err := run(*runs, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "audit bench:", err)
		os.Exit(1)
	}
}

func run(runs int, root string) error {
	if root == "" {
		shared, why := fake.LookupAIBrix()
		if shared == "" {
			return fmt.Errorf("%s; or name a folder that holds .github/workflows", why)
		}
		tmp, err := os.MkdirTemp("", "token-gate-bench-audit")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := os.CopyFS(filepath.Join(tmp, workflow.Dir), os.DirFS(shared)); err != nil {
			return err
		}
		root = tmp
	}
	files, err := filepath.Glob(filepath.Join(root, workflow.Dir, "*.y*ml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no workflows under %s", filepath.Join(root, workflow.Dir))
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		return err
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		return err
	}
	ours := func() error {
		repo, err := workflow.Load(root)
		if err != nil {
			return err
		}
		audit.Audit(repo, audit.Options{})
		return nil
	}
	// actionlint's command lints the files side by side (LintFiles); the
	// one-by-one form is measured too.
	theirs := func() error {
		_, err := linter.LintFiles(files, project)
		return err
	}
	theirsOneByOne := func() error {
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if _, err := linter.Lint(f, src, project); err != nil {
				return err
			}
		}
		return nil
	}
	// One warm-up each: page cache, and actionlint's lazily built tables.
	if err := ours(); err != nil {
		return err
	}
	if err := theirs(); err != nil {
		return err
	}
	if err := theirsOneByOne(); err != nil {
		return err
	}
	var a, b, c []time.Duration
	for range runs {
		for _, m := range []struct {
			f   func() error
			out *[]time.Duration
		}{{ours, &a}, {theirs, &b}, {theirsOneByOne, &c}} {
			start := time.Now()
			if err := m.f(); err != nil {
				return err
			}
			*m.out = append(*m.out, time.Since(start))
		}
	}
	ma, mb, mc := median(a), median(b), median(c)
	fmt.Printf("%d workflows, %d runs each, GOMAXPROCS %d\n", len(files), runs, runtime.GOMAXPROCS(0))
	fmt.Printf("token-gate audit               median %v\n", ma.Round(time.Microsecond))
	fmt.Printf("actionlint (LintFiles)         median %v\n", mb.Round(time.Microsecond))
	fmt.Printf("actionlint (Lint, one by one)  median %v\n", mc.Round(time.Microsecond))
	fmt.Printf("ratio (audit / actionlint): %.2f; against one by one %.2f\n", float64(ma)/float64(mb), float64(ma)/float64(mc))
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
