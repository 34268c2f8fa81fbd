// Command fakes serves the fake GitHub API and the fake registry on
// 127.0.0.1 until interrupted, for benchmarks and for trying token-gate by
// hand without a real token:
//
//	go run ./internal/fake/cmd/fakes
//
// It prints the API URL and the registry host, and knows one token,
// fake.Classic, with the scopes repo and write:packages and an expiry 30 days
// ahead.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

type cleanups []func()

func (c *cleanups) Cleanup(f func()) { *c = append(*c, f) }

func main() {
	var stop cleanups
	gh := fake.NewGitHub(&stop)
	reg := fake.NewRegistry(&stop)
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")
	gh.Add(fake.Classic, fake.Account{Login: "octocat", Scopes: "repo, write:packages", Expiry: expires})
	reg.Accept(fake.Classic)
	fmt.Printf("GITHUB_API_URL=%s\nREGISTRY=%s\nGH_TOKEN=%s\n", gh.URL, reg.Host, fake.Classic)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	for _, f := range stop {
		f()
	}
}
