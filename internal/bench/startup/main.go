// Command startup measures what a default check costs against the least a
// Go program making the same request can cost:
//
//	go run ./internal/bench/startup            # 25 alternating runs each
//	go run ./internal/bench/startup -runs 101
//	go run ./internal/bench/startup -runs 101 -before ../token-gate-at-v1.2.0
//
// It builds token-gate and internal/bench/minimal the way the Dockerfile
// does (static, -trimpath, -s -w), serves both from one fake GitHub on
// 127.0.0.1, runs them alternately so that a loaded machine slows both
// alike, and prints the median of each and their ratio. token-gate runs as
// the runner starts it: GITHUB_ACTIONS=true, every input of action.yml with
// its default, and the output and summary files. With -before, a checkout
// of an earlier commit is built and run alternately too, so that the rise
// of the ratio is measured in one run on one machine.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

type cleanups []func()

func (c *cleanups) Cleanup(f func()) { *c = append(*c, f) }

func main() {
	runs := flag.Int("runs", 25, "runs of each program")
	before := flag.String("before", "", "a checkout of an earlier commit to measure beside this one")
	flag.Parse()
	if err := run(*runs, *before); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(runs int, before string) error {
	dir, err := os.MkdirTemp("", "token-gate-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gate, minimal, earlier := filepath.Join(dir, "token-gate"), filepath.Join(dir, "minimal"), filepath.Join(dir, "token-gate-before")
	builds := []struct{ bin, pkg, dir string }{{gate, ".", ""}, {minimal, "./internal/bench/minimal", ""}}
	if before != "" {
		builds = append(builds, struct{ bin, pkg, dir string }{earlier, ".", before})
	}
	for _, b := range builds {
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.bin, b.pkg)
		build.Dir = b.dir
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building %s in %q: %w", b.pkg, b.dir, err)
		}
	}

	var stop cleanups
	defer func() {
		for _, f := range stop {
			f()
		}
	}()
	gh := fake.NewGitHub(&stop)
	gh.Add(fake.Classic, fake.Account{Login: "octocat", Scopes: "repo, write:packages",
		Expiry: time.Now().Add(60 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")})
	contexts := fake.Contexts(gh.URL)
	vars, err := fake.RunnerEnv("action.yml", map[string]string{"token": fake.Classic}, contexts, dir)
	if err != nil {
		return fmt.Errorf("%w (run it from the repository's root)", err)
	}
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}

	time1 := func(bin string) (time.Duration, error) {
		cmd := exec.Command(bin)
		cmd.Env = env
		start := time.Now()
		err := cmd.Run()
		return time.Since(start), err
	}
	programs := []string{gate, minimal}
	if before != "" {
		programs = append(programs, earlier)
	}
	times := make([][]time.Duration, len(programs))
	for i := -3; i < runs; i++ { // three warm-up rounds
		// Each round starts with the next program, so that none always
		// runs first, after the pause, or last.
		for k := range programs {
			p := (k + i + 3) % len(programs)
			bin := programs[p]
			d, err := time1(bin)
			if err != nil {
				return fmt.Errorf("%s failed: %w", filepath.Base(bin), err)
			}
			if i >= 0 {
				times[p] = append(times[p], d)
			}
		}
	}
	if n := len(gh.Requests()); n != len(programs)*(runs+3) {
		return fmt.Errorf("%d requests for %d runs of each; the default check must make exactly one", n, runs+3)
	}
	g, m := median(times[0]), median(times[1])
	fmt.Printf("token-gate default check: median %s over %d runs\n", g.Round(10*time.Microsecond), runs)
	fmt.Printf("minimal program:          median %s over %d runs\n", m.Round(10*time.Microsecond), runs)
	fmt.Printf("ratio: %.2f\n", float64(g)/float64(m))
	if before != "" {
		// The rise is the median of each round's own difference: the
		// three programs of a round ran back to back, so a slow spell of
		// the machine weighs on all three alike.
		e := median(times[2])
		rises := make([]time.Duration, runs)
		for i := range rises {
			rises[i] = time.Duration(float64(times[0][i]-times[2][i]) / float64(times[1][i]) * float64(time.Second))
		}
		fmt.Printf("before (%s): median %s, ratio %.2f\n", before, e.Round(10*time.Microsecond), float64(e)/float64(m))
		fmt.Printf("the ratio rose by %+.3f (median of the rounds' own rises)\n", median(rises).Seconds())
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
