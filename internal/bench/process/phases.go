package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// phasesPatch puts timers at the audit's parts: reading the files, reading
// their runs, the credentials, the rules, and the fix (all of it, and its
// check: parsing the fixed file, reading its run, comparing the plans).
// With TOKEN_GATE_PHASES set, the audit prints each as "phase NAME NS" on
// standard error. A patch, so that the product carries no timers; when it
// no longer applies, make it again against the code it measures.
//
//go:embed phases.patch
var phasesPatch []byte

func phases(runs int, dirs []string) error {
	tmp, dirs, err := scratch("token-gate-bench-phases", dirs)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, bin := filepath.Join(tmp, "src"), filepath.Join(tmp, "token-gate")
	if err := git("", "worktree", "add", "--detach", src, "HEAD"); err != nil {
		return fmt.Errorf("making a worktree of HEAD at %s (a run killed before may have left one: git worktree prune): %w", src, err)
	}
	defer git("", "worktree", "remove", "--force", src)
	apply := exec.Command("git", "apply")
	apply.Dir, apply.Stdin, apply.Stderr = src, bytes.NewReader(phasesPatch), os.Stderr
	if err := apply.Run(); err != nil {
		return fmt.Errorf("phases.patch does not apply to HEAD (make it again): %w", err)
	}
	if err := build(src, bin, "."); err != nil {
		return fmt.Errorf("building the timed token-gate: %w", err)
	}
	sums := map[string]time.Duration{}
	for _, dir := range dirs {
		got := map[string][]time.Duration{}
		for i := 0; i <= runs; i++ { // the first warms the page cache
			cmd := exec.Command(bin, "audit", dir)
			cmd.Env = append(os.Environ(), "TOKEN_GATE_PHASES=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			whole := time.Since(start)
			if _, exited := err.(*exec.ExitError); err != nil && !exited {
				return err
			}
			if i == 0 {
				continue
			}
			got["whole process"] = append(got["whole process"], whole)
			for _, line := range strings.Split(stderr.String(), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != 3 || f[0] != "phase" {
					continue
				}
				ns, err := strconv.ParseInt(f[2], 10, 64)
				if err != nil {
					return fmt.Errorf("%s: phases.patch printed a time that is not a number, %q; make the patch again", dir, line)
				}
				got[f[1]] = append(got[f[1]], time.Duration(ns))
			}
		}
		fmt.Println(filepath.Base(dir))
		for _, name := range slices.Sorted(maps.Keys(got)) {
			m := median(got[name])
			sums[name] += m
			fmt.Printf("  %-34s %10v\n", name, m.Round(10*time.Microsecond))
		}
	}
	fmt.Println("sums of medians")
	for _, name := range slices.Sorted(maps.Keys(sums)) {
		fmt.Printf("  %-34s %10v\n", name, sums[name].Round(10*time.Microsecond))
	}
	return nil
}

func git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	return cmd.Run()
}
