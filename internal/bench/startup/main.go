// Command startup measures what a default check costs against the least a
// Go program making the same request can cost:
//
//	go run ./internal/bench/startup            # 25 alternating runs each
//	go run ./internal/bench/startup -runs 101
//
// It builds token-gate and internal/bench/minimal the way the Dockerfile
// does (static, -trimpath, -s -w), serves both from one fake GitHub on
// 127.0.0.1, runs them alternately so that a loaded machine slows both
// alike, and prints the median of each and their ratio. token-gate runs as
// the runner starts it: GITHUB_ACTIONS=true, every input of action.yml with
// its default, and the output and summary files.
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
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	dir, err := os.MkdirTemp("", "token-gate-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gate, minimal := filepath.Join(dir, "token-gate"), filepath.Join(dir, "minimal")
	for bin, pkg := range map[string]string{gate: ".", minimal: "./internal/bench/minimal"} {
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building %s: %w", pkg, err)
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
	var gateTimes, minimalTimes []time.Duration
	for i := -3; i < runs; i++ { // three warm-up rounds
		g, err := time1(gate)
		if err != nil {
			return fmt.Errorf("token-gate failed: %w", err)
		}
		m, err := time1(minimal)
		if err != nil {
			return fmt.Errorf("minimal failed: %w", err)
		}
		if i >= 0 {
			gateTimes, minimalTimes = append(gateTimes, g), append(minimalTimes, m)
		}
	}
	if n := len(gh.Requests()); n != 2*(runs+3) {
		return fmt.Errorf("%d requests for %d runs of each; the default check must make exactly one", n, runs+3)
	}
	g, m := median(gateTimes), median(minimalTimes)
	fmt.Printf("token-gate default check: median %s over %d runs\n", g.Round(10*time.Microsecond), runs)
	fmt.Printf("minimal program:          median %s over %d runs\n", m.Round(10*time.Microsecond), runs)
	fmt.Printf("ratio: %.2f\n", float64(g)/float64(m))
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
