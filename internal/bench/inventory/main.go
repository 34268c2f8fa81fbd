// Command inventory measures `token-gate inventory` on a generated
// organization of 1,000 repositories (the corpus's real workflows among
// them) against the fake GitHub answering each request after 100 ms:
//
//	go run ./internal/bench/inventory
//	go run ./internal/bench/inventory -repos 5000 -latency 50ms
//
// It builds token-gate, runs it as its own process (so that its memory is
// measured apart from the fake's), and prints the wall time, the peak
// resident memory, and the GraphQL and REST requests against the issue's
// budgets: under 60 s, under 200 MB, at most one GraphQL query per 20
// repositories (listing included) plus a few, at most 3 REST requests per
// repository plus one per environment and one per selected organization
// secret. It exits 1 when a budget is missed.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

type cleanups []func()

func (c *cleanups) Cleanup(f func()) { *c = append(*c, f) }

func main() {
	repos := flag.Int("repos", 1000, "repositories in the generated organization")
	latency := flag.Duration("latency", 100*time.Millisecond, "the fake's delay before each answer")
	bin := flag.String("bin", "", "a token-gate binary to measure (default: build one)")
	flag.Parse()
	if err := run(*repos, *latency, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "inventory bench:", err)
		os.Exit(1)
	}
}

func run(n int, latency time.Duration, bin string) error {
	var stop cleanups
	defer func() {
		for _, f := range stop {
			f()
		}
	}()
	if bin == "" {
		dir, err := os.MkdirTemp("", "token-gate-bench-inventory")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "token-gate")
		build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	corpus, why := fake.LoadCorpus()
	if corpus == nil {
		return fmt.Errorf("%s", why)
	}
	now := time.Now()
	estate, want := fake.GenerateOrg("acme", n, corpus, now)
	gh := fake.NewGitHub(&stop)
	tok := fake.Token("ghp_", "bench")
	gh.Add(tok, fake.Account{Login: "auditor", Scopes: "repo, admin:org"})
	gh.SetEstate(estate)
	gh.SetDelay(latency)

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "inventory", "--json", "acme")
	cmd.Env = []string{"GH_TOKEN=" + tok, "GITHUB_API_URL=" + gh.URL, "HOME=" + os.TempDir(), "PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return fmt.Errorf("token-gate did not run: %v", err)
	}
	var doc struct {
		Repositories int               `json:"repositories"`
		Findings     []json.RawMessage `json:"findings"`
		NotVisible   []json.RawMessage `json:"not_visible"`
	}
	if jerr := json.Unmarshal(stdout.Bytes(), &doc); jerr != nil {
		return fmt.Errorf("token-gate's output is not its JSON (exit %d): %v\n%s", cmd.ProcessState.ExitCode(), jerr, stderr.String())
	}
	rss := int64(0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	gql, rest := 0, 0
	for _, r := range gh.Requests() {
		if r.Path == "/api/graphql" {
			gql++
		} else {
			rest++
		}
	}
	envs, selected, listed := 0, 0, len(estate.Repos)
	for _, r := range estate.Repos {
		if !r.Archived {
			envs += len(r.Environments)
		}
	}
	for _, s := range estate.OrgSecrets {
		if s.Visibility == "selected" {
			selected++
		}
	}
	gqlBudget := (listed+19)/20 + 3
	restBudget := 3*n + envs + selected + 3
	missed := false
	check := func(ok bool) string {
		if ok {
			return "within"
		}
		missed = true
		return "OVER"
	}
	fmt.Printf("token-gate inventory of a generated organization: %d repositories (+%d archived, listed), %d environments, %d selected organization secrets; the fake answers after %s\n",
		n, listed-n, envs, selected, latency)
	fmt.Printf("  read:     %d repositories, %d findings (%d by construction besides each repository's audit), %d parts not visible, exit %d\n",
		doc.Repositories, len(doc.Findings), len(want), len(doc.NotVisible), cmd.ProcessState.ExitCode())
	fmt.Printf("  time:     %.1f s (budget 60 s: %s)\n", wall.Seconds(), check(wall < 60*time.Second))
	fmt.Printf("  memory:   %.0f MB peak resident (budget 200 MB: %s)\n", float64(rss)/1e6, check(rss < 200e6))
	fmt.Printf("  GraphQL:  %d queries (budget %d = %d/20 + 3: %s)\n", gql, gqlBudget, listed, check(gql <= gqlBudget))
	fmt.Printf("  REST:     %d requests (budget %d = 3×%d + %d + %d + 3: %s)\n", rest, restBudget, n, envs, selected, check(rest <= restBudget))
	if doc.Repositories != n || len(doc.NotVisible) != 0 {
		return fmt.Errorf("read %d of %d repositories, %d parts not visible", doc.Repositories, n, len(doc.NotVisible))
	}
	if missed {
		return fmt.Errorf("a budget was missed")
	}
	return nil
}
