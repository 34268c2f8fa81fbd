// Command process measures the audit as a person runs it, a whole process
// per repository, against actionlint on the same files, the issue's
// budget (no slower than actionlint):
//
//	go run ./internal/bench/process                 # the shared corpus's eight repositories
//	go run ./internal/bench/process -runs 41 DIR…   # folders that hold .github/workflows
//
// Both are built the same way, as a release builds token-gate (static,
// -trimpath, -s -w); actionlint 1.7.12 from the module this repository's
// tests already use, with shellcheck and pyflakes off (they are other
// programs). Runs alternate, so that a loaded machine slows both alike;
// it prints each repository's medians and the sums of the medians.
//
//	go run ./internal/bench/process -phases         # where a cold audit's time goes
//
// With -phases it measures no actionlint: it builds HEAD with
// phases.patch applied in a worktree (timers at the audit's parts, which
// the product does not carry), runs each audit as a whole process, and
// prints each part's median, cold as a person's run is.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/workflow"
)

func main() {
	runs := flag.Int("runs", 21, "runs of each, per repository")
	parts := flag.Bool("phases", false, "time the audit's parts instead, in a build of HEAD with phases.patch")
	flag.Parse()
	bench := run
	if *parts {
		bench = phases
	}
	if err := bench(*runs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "process bench:", err)
		os.Exit(1)
	}
}

func run(runs int, dirs []string) error {
	tmp, dirs, err := scratch("token-gate-bench-process", dirs)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	gate, lint := filepath.Join(tmp, "token-gate"), filepath.Join(tmp, "actionlint")
	for _, b := range []struct{ out, pkg string }{{gate, "."}, {lint, "github.com/rhysd/actionlint/cmd/actionlint"}} {
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.out, b.pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building %s: %w", b.pkg, err)
		}
	}
	var sumGate, sumLint time.Duration
	fmt.Printf("%-32s %12s %12s\n", "repository", "token-gate", "actionlint")
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, workflow.Dir, "*.y*ml"))
		if len(files) == 0 {
			return fmt.Errorf("no workflows under %s", filepath.Join(dir, workflow.Dir))
		}
		ours := exec.Command(gate, "audit", dir)
		theirs := exec.Command(lint, append([]string{"-shellcheck=", "-pyflakes="}, files...)...)
		var a, b []time.Duration
		for i := 0; i <= runs; i++ { // the first of each warms the page cache
			da, err := timed(ours)
			if err != nil {
				return err
			}
			db, err := timed(theirs)
			if err != nil {
				return err
			}
			if i > 0 {
				a, b = append(a, da), append(b, db)
			}
		}
		ma, mb := median(a), median(b)
		sumGate, sumLint = sumGate+ma, sumLint+mb
		fmt.Printf("%-32s %12v %12v\n", filepath.Base(dir), ma.Round(10*time.Microsecond), mb.Round(10*time.Microsecond))
	}
	fmt.Printf("%-32s %12v %12v   ratio %.2f\n", "sum of medians", sumGate.Round(10*time.Microsecond), sumLint.Round(10*time.Microsecond), float64(sumGate)/float64(sumLint))
	return nil
}

// timed runs a command to its end, its output discarded; exit statuses
// are the programs' verdicts, not failures of the bench.
func timed(c *exec.Cmd) (time.Duration, error) {
	cmd := exec.Command(c.Path, c.Args[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		return 0, err
	}
	return d, nil
}

// scratch makes a folder for the programs, and lays the corpus out in it
// when no folders are named.
func scratch(name string, dirs []string) (string, []string, error) {
	tmp, err := os.MkdirTemp("", name)
	if err != nil {
		return "", nil, err
	}
	if len(dirs) == 0 {
		if dirs, err = corpus(tmp); err != nil {
			os.RemoveAll(tmp)
			return "", nil, err
		}
	}
	return tmp, dirs, nil
}

// corpus lays each repository of the shared corpus out under tmp, as a
// checkout: its files in .github/workflows.
func corpus(tmp string) ([]string, error) {
	aibrix, why := fake.LookupAIBrix()
	if aibrix == "" {
		return nil, fmt.Errorf("%s; or name folders that hold .github/workflows", why)
	}
	root := filepath.Join(filepath.Dir(aibrix), "corpus")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(tmp, "corpus", e.Name())
		if err := os.CopyFS(filepath.Join(dir, workflow.Dir), os.DirFS(filepath.Join(root, e.Name()))); err != nil {
			return nil, err
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
