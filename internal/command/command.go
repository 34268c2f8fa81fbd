// Package command is token-gate's entry point below main: it reads the
// environment it is given, gathers what the services say, has the gate judge
// it, and writes the report, either as the GitHub Action (started as
// `token-gate action`, or with no arguments and INPUT_* variables) or as a
// terminal command. It never reads the process
// environment itself and never exits the process, so tests run it in-process
// with everything injected.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/gather"
	"github.com/token-gate/token-gate/internal/github"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/reminder"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/suppress"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
	"github.com/token-gate/token-gate/internal/version"
	"github.com/token-gate/token-gate/internal/workflow"
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
	// StdoutIsTerminal is whether Stdout is a terminal, for colour.
	StdoutIsTerminal bool
	// StderrIsTerminal is whether Stderr is a terminal, for the
	// inventory's progress line.
	StderrIsTerminal bool
	// InventoryTimeout bounds an inventory run (DefaultInventoryTimeout).
	InventoryTimeout time.Duration
	// ReminderPace overrides the pause between issue writes (tests).
	ReminderPace time.Duration
	// Interrupts, when set, returns a context that ends at an interrupt
	// (main: Ctrl-C, SIGTERM), and its stop. Main asks for it only where
	// the network is used: the audit reads and writes local files, and
	// --fix replaces each file whole (a rename), so the default end at an
	// interrupt leaves every workflow either as it was or fixed (and at
	// worst a .token-gate-fix-* file beside it).
	Interrupts func(context.Context) (context.Context, context.CancelFunc)
}

// ActionArg is the argument action.yml passes (runs.args) to start the
// program as the action: inputs from INPUT_* variables, workflow commands
// and the step summary out. Without it, the program is the command line,
// wherever it runs: a run: step has GITHUB_ACTIONS=true too, and its flags
// must work there (docs/formats.md, "Which mode runs").
const ActionArg = "action"

// Main runs the command and returns its exit status.
func (c *Command) Main(ctx context.Context) int {
	c.Stdout = &lockedWriter{w: c.Stdout}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(c.Args) > 0 && c.Args[0] == "audit" {
		return c.auditMain(c.Args[1:])
	}
	if c.Interrupts != nil {
		var stop context.CancelFunc
		ctx, stop = c.Interrupts(ctx)
		defer stop()
	}
	switch {
	case len(c.Args) > 0 && c.Args[0] == "inventory":
		return c.inventoryMain(ctx, c.Args[1:])
	case len(c.Args) > 0 && c.Args[0] == ActionArg:
		if len(c.Args) > 1 {
			errorf(c.Stderr, "%s takes no flags: the action reads its inputs from INPUT_* variables. For the command line, leave %q out (see token-gate --help)", ActionArg, ActionArg)
			return ExitUsage
		}
		return c.action(ctx)
	case len(c.Args) == 0 && c.hasInputs():
		// The composite action, and an image run as docker://, start
		// the program with no arguments and the inputs as variables.
		return c.action(ctx)
	case len(c.Args) > 0 && c.hasInputs():
		errorf(c.Stderr, "flags given, so the INPUT_* variables are ignored: this runs as the command line (the action starts as `token-gate %s`)", ActionArg)
	}
	return c.terminal(ctx)
}

// hasInputs reports whether any of the action's inputs is set as a
// variable, as the runner sets them for an action.
func (c *Command) hasInputs() bool {
	for _, in := range config.Inputs() {
		if _, ok := c.LookupEnv(inputEnv(in.Name)); ok {
			return true
		}
	}
	return false
}

func (c *Command) getenv(k string) string {
	v, _ := c.LookupEnv(k)
	return v
}

// maskInputs records every credential among the raw inputs before anything
// is parsed or printed: the token, github-token, and what each `tokens` line
// may hold.
func maskInputs(sec *secret.Set, raw config.Raw) {
	sec.Add(raw[config.InToken])
	sec.Add(raw[config.InGitHubToken])
	for _, l := range config.TokenLines(raw[config.InTokens]) {
		for _, s := range l.Secrets() {
			sec.Add(s)
		}
	}
}

// run gathers, judges and, when asked, keeps the reminder issues, all inside
// the run's time bound. What it returns is already redacted.
func (c *Command) run(ctx context.Context, cfg config.Config, sec *secret.Set) gate.Run {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	deps := gather.Deps{Transport: c.Transport, Policy: c.Policy, MaskIssued: sec.AddIssued, MaskBasic: sec.AddBasic, Scrub: sec}
	found := gather.All(ctx, cfg, deps)
	run := gate.Run{Verdicts: gate.JudgeAll(cfg, found, c.Now())}
	if !cfg.Terminal {
		auditWorkspace(&run, cfg)
	}
	if cfg.Reminder {
		run.Reminders, run.Findings = c.reminders(ctx, cfg, run.Verdicts, sec)
	}
	return run.Redacted(sec.Redact)
}

// auditWorkspace reads the workflows the job checked out, when audit is not
// off: their findings go with the run, less those an ignore comment
// suppresses, and each verdict learns where its secret is used. With
// nothing checked out, the run says how to turn the audit on.
func auditWorkspace(run *gate.Run, cfg config.Config) {
	if cfg.Audit == config.AuditOff {
		return
	}
	if cfg.Workspace == "" {
		return // not a runner's job: a run made by hand
	}
	repo, err := workflow.Load(cfg.Workspace)
	switch {
	case errors.Is(err, workflow.ErrNoWorkflows):
		run.AuditSkipped = "nothing is checked out, so token-gate could not read the workflows. Add actions/checkout (sparse-checkout: .github is enough) before this step to have them audited, or set audit: off."
		return
	case err != nil:
		run.AuditSkipped = "the workflows could not be read: " + err.Error()
		return
	}
	res := audit.Audit(repo, audit.Options{Repository: cfg.Repository, RepositoryFrom: "GITHUB_REPOSITORY", TokenGate: version.Read().ActionRef()})
	// A finding an ignore comment suppresses is counted, not annotated,
	// and fails nothing, under audit: fail too.
	rep := suppress.Read(sources(repo)).Apply(res.Report)
	if cfg.Workflow != "" {
		// audit: fail holds back this workflow for its own faults, not
		// for another workflow's (docs/audit.md, "What `--fix` writes, and what it promises").
		rep = audit.WithinWorkflow(rep, repo, cfg.Workflow)
	}
	run.Audit, run.AuditFails = &rep, cfg.Audit == config.AuditFail
	registry := cfg.GitHubRegistry
	if cfg.OtherRegistry() {
		registry = cfg.Registry
	}
	for i := range run.Verdicts {
		run.Verdicts[i].UsedBy = res.For(run.Verdicts[i].TokenName, image.DisplayHost(registry), cfg.Workflow, cfg.Job)
	}
}

// reminders keeps the reminder issues with github-token, which config has
// already checked is none of the tokens being judged.
func (c *Command) reminders(ctx context.Context, cfg config.Config, vs []gate.Verdict, sec *secret.Set) ([]gate.Reminder, []gate.Finding) {
	client, err := github.NewClient(cfg.APIURL, cfg.GitHubToken, c.Transport, c.Policy)
	if err != nil {
		return nil, []gate.Finding{{Code: gate.CodeRemindersFailed, Severity: gate.Warning, Title: "Reminder issues not updated", Message: err.Error()}}
	}
	pace := reminder.DefaultPace
	if c.ReminderPace > 0 {
		pace = c.ReminderPace
	}
	owner, repo, _ := strings.Cut(cfg.Repository, "/")
	return reminder.Sync(ctx, client.REST(), reminder.Options{
		Owner:          owner,
		Repo:           repo,
		Labels:         cfg.ReminderLabels,
		Mentions:       cfg.ReminderMentions,
		RequiredScopes: cfg.RequiredScopes,
		Links:          gate.Links{Server: cfg.ServerURL, Repository: cfg.Repository},
		RunID:          cfg.RunID,
		Now:            c.Now(),
		Redact:         sec.Redact,
		Pace:           pace,
	}, vs)
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

// errorf writes one message to w, its control characters escaped and
// nothing in it read as a workflow command: the command line runs in run:
// steps, whose output the runner reads. An error among args is written
// with the paths it carries quoted through secret.Quote: a path is what was
// typed (a DIR, a --tokens-file), which may be a token, control characters
// or 100 KB, and the os package repeats it whole.
func errorf(w io.Writer, format string, args ...any) {
	for i, a := range args {
		if err, ok := a.(error); ok {
			args[i] = secret.QuotePaths(err)
		}
	}
	fmt.Fprint(w, report.LogSafe("token-gate: "+report.Block(fmt.Sprintf(format, args...))+"\n"))
}
