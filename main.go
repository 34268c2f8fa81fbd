// Command token-gate checks that a GitHub token can push container images
// before a workflow spends its time building them. See README.md.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/token-gate/token-gate/internal/command"
	"github.com/token-gate/token-gate/internal/transport"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd := &command.Command{
		Args:      os.Args[1:],
		LookupEnv: os.LookupEnv,
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		// Asked here, once: the command sees only a writer.
		StdoutIsTerminal: command.IsTerminal(os.Stdout),
		Stderr:           os.Stderr,
		StderrIsTerminal: command.IsTerminal(os.Stderr),
		Transport:        http.DefaultTransport,
		Policy:           transport.DefaultPolicy(),
		Now:              time.Now,
		Timeout:          command.DefaultTimeout,
	}
	code := cmd.Main(ctx)
	stop()
	os.Exit(code)
}
