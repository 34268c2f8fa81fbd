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
		Interrupts:       interrupts,
	}
	os.Exit(cmd.Main(context.Background()))
}

// interrupts ends ctx at Ctrl-C or SIGTERM, so that requests in flight stop
// and the report says so. Only the commands that go to the network ask for
// it: watching signals starts three threads, which a short audit would pay
// for more than for its own work (docs/speed.md).
func interrupts(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}
