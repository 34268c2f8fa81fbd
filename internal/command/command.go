// Package command is token-gate's entry point below main: it reads the
// environment it is given, runs the gate, and writes the report, either as a
// Docker container action (GITHUB_ACTIONS=true) or as a terminal command. It
// never reads the process environment itself and never exits the process, so
// tests run it in-process with everything injected.
package command

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
)

// Exit statuses.
const (
	ExitPass  = 0 // the gate passed; warnings allowed
	ExitFail  = 1 // the gate failed
	ExitUsage = 2 // bad input or usage; nothing was sent
)

// DefaultTimeout bounds a whole run, retries and all.
const DefaultTimeout = 60 * time.Second

// Command is one invocation.
type Command struct {
	Args      []string // without the program name
	LookupEnv func(string) (string, bool)
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	Transport http.RoundTripper
	Policy    transport.Policy
	Now       func() time.Time
	Timeout   time.Duration
}

// Main runs the command and returns its exit status.
func (c *Command) Main(ctx context.Context) int {
	c.Stdout = &lockedWriter{w: c.Stdout}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.getenv("GITHUB_ACTIONS") == "true" {
		return c.action(ctx)
	}
	return c.terminal(ctx)
}

func (c *Command) getenv(k string) string {
	v, _ := c.LookupEnv(k)
	return v
}

// run judges every token and, when asked, keeps the reminder issues.
func (c *Command) run(ctx context.Context, cfg config.Config, mask func(string)) gate.Run {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	deps := gate.Deps{Transport: c.Transport, Policy: c.Policy, Now: c.Now, Mask: mask}
	run := gate.Run{Verdicts: gate.JudgeAll(ctx, cfg, deps)}
	if cfg.Reminder {
		run.Reminders, run.Findings = syncReminders(ctx, cfg, run.Verdicts, deps)
	}
	return run
}

func exitStatus(run gate.Run) int {
	if run.Passed() {
		return ExitPass
	}
	return ExitFail
}

// badInputKind is the token-type output for a run that stopped at its
// inputs: the kind can still be told from the prefix without a request.
func badInputKind(raw config.Raw) token.Kind {
	tok, err := token.Clean(raw[config.InToken])
	if err != nil {
		return token.Unknown
	}
	return token.KindOf(tok)
}

// lockedWriter serialises writes: masks of registry tokens arrive from
// concurrent probes.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func errorf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "token-gate: "+format+"\n", args...)
}
