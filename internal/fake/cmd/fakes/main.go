// Command fakes serves the fake GitHub API and the fake registry on
// 127.0.0.1 until interrupted, for benchmarks and for trying token-gate by
// hand without a real token:
//
//	go run ./internal/fake/cmd/fakes
//
// It prints the API URL, the registry host and the token as NAME=VALUE
// lines, the shell's own syntax, and with -env FILE also writes them there
// once the fakes listen, so a script can wait for the file and source it.
// It knows one token, fake.Classic, with the scopes repo and write:packages
// and an expiry 30 days ahead.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
)

type cleanups []func()

func (c *cleanups) Cleanup(f func()) { *c = append(*c, f) }

func main() {
	envFile := flag.String("env", "", "also write the NAME=VALUE lines to this file once the fakes listen")
	flag.Parse()
	var stop cleanups
	gh := fake.NewGitHub(&stop)
	reg := fake.NewRegistry(&stop)
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")
	gh.Add(fake.Classic, fake.Account{Login: "octocat", Scopes: "repo, write:packages", Expiry: expires})
	reg.Accept(fake.Classic)
	env := fmt.Sprintf("GITHUB_API_URL=%s\nREGISTRY=%s\nGH_TOKEN=%s\n", gh.URL, reg.Host, fake.Classic)
	fmt.Print(env)
	if *envFile != "" {
		// Written whole, then renamed, so a reader never sees half of it.
		if err := os.WriteFile(*envFile+".tmp", []byte(env), 0o600); err != nil || os.Rename(*envFile+".tmp", *envFile) != nil {
			fmt.Fprintln(os.Stderr, "fakes: cannot write", *envFile)
			os.Exit(1)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	for _, f := range stop {
		f()
	}
}
