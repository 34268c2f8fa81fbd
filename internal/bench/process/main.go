// Command process measures the audit as a person runs it, a whole process
// per repository, against actionlint on the same files, the issue's
// budget (no slower than actionlint):
//
//	go run ./internal/bench/process                 # the shared corpus's eight repositories
//	go run ./internal/bench/process -runs 41 DIR…   # folders that hold .github/workflows
//
// All are built the same way, side by side, as a release builds token-gate
// (static, -trimpath, -s -w); actionlint 1.7.12 from the module this repository's
// tests already use, with shellcheck and pyflakes off (they are other
// programs). Runs alternate, so that a loaded machine slows both alike;
// it prints each repository's medians and the sums of the medians.
//
//	go run ./internal/bench/process -split          # and the audit built alone
//
// With -split it also times a program that is token-gate audit and
// nothing else (auditonly.go.txt, built through an overlay, checked to
// print what token-gate audit prints): what the one binary, with the
// token check's packages in it, costs the audit.
//
//	go run ./internal/bench/process -phases         # where a cold audit's time goes
//
// With -phases it measures no actionlint: it builds HEAD with
// phases.patch applied in a worktree (timers at the audit's parts, which
// the product does not carry), runs each audit as a whole process, and
// prints each part's median, cold as a person's run is.
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/workflow"
)

func main() {
	runs := flag.Int("runs", 21, "runs of each, per repository")
	parts := flag.Bool("phases", false, "time the audit's parts instead, in a build of HEAD with phases.patch")
	split := flag.Bool("split", false, "also time the audit built alone, without the token check's packages")
	flag.Parse()
	if *parts && *split {
		fmt.Fprintln(os.Stderr, "process bench: -phases times token-gate's parts only; run -split on its own")
		os.Exit(2)
	}
	bench := func(runs int, dirs []string) error { return run(runs, dirs, *split) }
	if *parts {
		bench = phases
	}
	if err := bench(*runs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "process bench:", err)
		os.Exit(1)
	}
}

// auditOnly is the source of a program that is token-gate audit DIR and
// nothing else; -split builds it through an overlay, so that no file is
// written into the repository.
//
//go:embed auditonly.go.txt
var auditOnly []byte

// program is one of the programs timed: how it is built, and its command
// line for a folder and that folder's workflow files.
type program struct {
	name  string
	pkg   string
	extra []string // go build's flags beyond the shared ones
	args  func(dir string, files []string) []string
}

func run(runs int, dirs []string, split bool) error {
	tmp, dirs, err := scratch("token-gate-bench-process", dirs)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	audit := func(dir string, _ []string) []string { return []string{"audit", dir} }
	programs := []program{
		{name: "token-gate", pkg: ".", args: audit},
		{name: "actionlint", pkg: "github.com/rhysd/actionlint/cmd/actionlint", args: func(_ string, files []string) []string {
			return append([]string{"-shellcheck=", "-pyflakes="}, files...)
		}},
	}
	if split {
		root, err := os.Getwd()
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
			return errors.New("-split runs from the repository's root")
		}
		overlay, pkg, err := overlayAuditOnly(tmp, root)
		if err != nil {
			return err
		}
		programs = append(programs, program{name: "audit alone", pkg: pkg, extra: []string{"-overlay", overlay}, args: audit})
	}
	// All are built now, side by side: a binary's pages age in the page
	// cache, and an older copy of the same bytes starts measurably slower
	// (docs/speed.md, "Measuring"), so none is built long before another.
	bins := make([]string, len(programs))
	for i, p := range programs {
		bins[i] = filepath.Join(tmp, fmt.Sprintf("program-%d", i))
		if err := build("", bins[i], p.pkg, p.extra...); err != nil {
			return fmt.Errorf("building %s: %w", p.name, err)
		}
	}
	sums := make([]time.Duration, len(programs))
	fmt.Printf("%-32s", "repository")
	for _, p := range programs {
		fmt.Printf(" %12s", p.name)
	}
	fmt.Println()
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, workflow.Dir, "*.y*ml"))
		if len(files) == 0 {
			return fmt.Errorf("no workflows under %s", filepath.Join(dir, workflow.Dir))
		}
		argvs := make([][]string, len(programs))
		for i, p := range programs {
			argvs[i] = append([]string{bins[i]}, p.args(dir, files)...)
		}
		if split {
			if err := sameAudit(argvs[0], argvs[2]); err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
		}
		times := make([][]time.Duration, len(programs))
		for i := 0; i <= runs; i++ { // the first of each warms the page cache
			for j, argv := range argvs { // alternating, so that a loaded machine slows all alike
				d, err := timed(argv)
				if err != nil {
					return err
				}
				if i > 0 {
					times[j] = append(times[j], d)
				}
			}
		}
		fmt.Printf("%-32s", filepath.Base(dir))
		for j := range programs {
			m := median(times[j])
			sums[j] += m
			fmt.Printf(" %12v", m.Round(10*time.Microsecond))
		}
		fmt.Println()
	}
	fmt.Printf("%-32s", "sum of medians")
	for _, sum := range sums {
		fmt.Printf(" %12v", sum.Round(10*time.Microsecond))
	}
	fmt.Printf("   ratio %.2f", float64(sums[0])/float64(sums[1]))
	if split {
		fmt.Printf(", alone %.2f", float64(sums[2])/float64(sums[1]))
	}
	fmt.Println()
	return nil
}

// overlayAuditOnly writes the audit-only program and an overlay that
// places it in a package of the module at root that does not exist on disk.
func overlayAuditOnly(tmp, root string) (overlay, pkg string, err error) {
	src := filepath.Join(tmp, "auditonly.go")
	if err := os.WriteFile(src, auditOnly, 0o644); err != nil {
		return "", "", err
	}
	const dir = "internal/bench/process/auditonly"
	doc, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(root, dir, "main.go"): src}})
	if err != nil {
		return "", "", err
	}
	overlay = filepath.Join(tmp, "overlay.json")
	return overlay, "./" + dir, os.WriteFile(overlay, doc, 0o644)
}

// sameAudit runs token-gate audit and the audit-only program once each, and
// fails unless both print the same and exit alike: only then is timing
// them a fair comparison.
func sameAudit(gate, alone []string) error {
	var outs [2][]byte
	var codes [2]int
	for i, argv := range [][]string{gate, alone} {
		out, err := benchCommand(argv).Output()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			codes[i] = exit.ExitCode()
		case err != nil:
			return err
		}
		outs[i] = out
	}
	if codes[0] != codes[1] {
		return fmt.Errorf("the audit-only program exits %d where token-gate audit exits %d; make auditonly.go.txt do what internal/command's audit does", codes[1], codes[0])
	}
	if !bytes.Equal(outs[0], outs[1]) {
		gateLines, aloneLines := strings.Split(string(outs[0]), "\n"), strings.Split(string(outs[1]), "\n")
		at := 0
		for at < len(gateLines) && at < len(aloneLines) && gateLines[at] == aloneLines[at] {
			at++
		}
		return fmt.Errorf("the audit-only program prints other than token-gate audit from line %d (%q against %q); a folder that is a git checkout with an origin gives token-gate a repository the audit-only program does not read, else make auditonly.go.txt do what internal/command's audit does",
			at+1, line(aloneLines, at), line(gateLines, at))
	}
	return nil
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(no more lines)"
}

// programEnv is the environment every timed program runs in: this one's,
// less what changes token-gate's report and not the audit-only program's
// (GITHUB_REPOSITORY names the repository; FORCE_COLOR and NO_COLOR the
// colours), so that both do the same work wherever the bench runs, a
// GitHub runner included.
var programEnv = slices.DeleteFunc(os.Environ(), func(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	return name == "GITHUB_REPOSITORY" || name == "FORCE_COLOR" || name == "NO_COLOR"
})

// benchCommand is the command for argv, in programEnv.
func benchCommand(argv []string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = programEnv
	return cmd
}

// build builds pkg, in dir ("" for this one), as a release builds
// token-gate: static, -trimpath, -s -w.
func build(dir, out, pkg string, extra ...string) error {
	args := append([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}, extra...)
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir, cmd.Env, cmd.Stderr = dir, append(os.Environ(), "CGO_ENABLED=0"), os.Stderr
	return cmd.Run()
}

// timed runs a command to its end, its output discarded; exit statuses
// are the programs' verdicts, not failures of the bench.
func timed(argv []string) (time.Duration, error) {
	cmd := benchCommand(argv)
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
