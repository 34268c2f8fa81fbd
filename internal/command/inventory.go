package command

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/token-gate/token-gate/internal/audit"
	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/github"
	"github.com/token-gate/token-gate/internal/inventory"
	"github.com/token-gate/token-gate/internal/reminder"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/workflow"
)

const inventoryUsage = `Usage: token-gate inventory [flags] OWNER[/REPO]

Takes the token inventory of an organization or user, or of one repository:
every Actions secret at organization, repository and environment level (its
name and when it was set; GitHub never shows a value), where each is read
(repository, file:line, job, environment), what it pushes or publishes and
what checks it, with these findings: secret-unused, secret-missing,
secret-shadowed, secret-old, and every repository's workflow audit. Parts
the token may not read are listed as not visible, with the permission that
would show them (docs/inventory.md).

The token is read from GH_TOKEN or GITHUB_TOKEN, or from standard input with
--token-stdin. It only reads; it never writes.

  GH_TOKEN=$(gh auth token) token-gate inventory vllm-project
  token-gate inventory --json vllm-project/aibrix > inventory.json

Exit status: 0 no error finding, 1 an error finding or nothing could be
read, 2 bad usage.

Flags (before or after OWNER):
`

// DefaultInventoryTimeout bounds a whole inventory run, rate-limit waits
// included: a thousand repositories read in under a minute, and a run that
// meets GitHub's limits waits as they ask.
const DefaultInventoryTimeout = 30 * time.Minute

// inventoryFlags are the command line of `token-gate inventory`, read into
// the same raw inputs the action takes.
type inventoryFlags struct {
	raw       config.Raw
	asJSON    bool
	fromStdin bool
	color     string
	help      bool
}

// parseInventoryFlags reads flags before and after the one OWNER[/REPO]:
// the flag package stops at the first argument, so it is asked again for
// what follows.
func parseInventoryFlags(args []string) (inventoryFlags, *flag.FlagSet, error) {
	o := inventoryFlags{raw: config.Raw{}}
	fs := flag.NewFlagSet("token-gate inventory", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.asJSON, "json", false, "print the inventory as JSON (version 1)")
	fs.BoolVar(&o.fromStdin, "token-stdin", false, "read the token from standard input")
	fs.StringVar(&o.color, "color", "auto", colorHelp)
	apiURL := fs.String(config.InAPIURL, "", "the REST API base (default $GITHUB_API_URL, else https://api.github.com); GHES is https://HOST/api/v3")
	maxRepos := fs.String(config.InMaxRepos, config.Default(config.InMaxRepos), "read at most this many repositories")
	maxAge := fs.String(config.InMaxAgeDays, config.Default(config.InMaxAgeDays), "report push and publish credentials set longer ago than this many days (secret-old); 0 turns it off")
	archived := fs.Bool("include-archived", false, "read archived repositories too")
	forks := fs.Bool("include-forks", false, "read forks too")
	if err := refuseTokenFlag(args); err != nil {
		return o, fs, err
	}
	var targets []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				o.help = true
				return o, fs, nil
			}
			return o, fs, fmt.Errorf("%s (see token-gate inventory --help)", quoteArgs(err.Error(), args, fs))
		}
		if fs.NArg() == 0 {
			break
		}
		targets = append(targets, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch len(targets) {
	case 0:
		return o, fs, errors.New("name an organization or user, or OWNER/REPO (see token-gate inventory --help)")
	case 1:
	default:
		return o, fs, fmt.Errorf("inventory takes one OWNER or OWNER/REPO, not %d (see token-gate inventory --help)", len(targets))
	}
	o.raw[config.InInventory] = targets[0]
	o.raw[config.InMaxRepos] = *maxRepos
	o.raw[config.InMaxAgeDays] = *maxAge
	var include []string
	if *archived {
		include = append(include, "archived")
	}
	if *forks {
		include = append(include, "forks")
	}
	o.raw[config.InInventoryInclude] = strings.Join(include, ",")
	fs.Visit(func(f *flag.Flag) {
		if f.Name == config.InAPIURL {
			o.raw[config.InAPIURL] = *apiURL
		}
	})
	return o, fs, nil
}

// inventoryMain is `token-gate inventory`.
func (c *Command) inventoryMain(ctx context.Context, args []string) int {
	o, fs, err := parseInventoryFlags(args)
	switch {
	case err != nil:
		errorf(c.Stderr, "%s", err)
		return ExitUsage
	case o.help:
		fmt.Fprint(c.Stdout, inventoryUsage)
		fs.SetOutput(c.Stdout)
		fs.PrintDefaults()
		return ExitPass
	}
	st, err := c.style(o.color)
	if err != nil {
		errorf(c.Stderr, "%s", err)
		return ExitUsage
	}
	raw := o.raw
	switch {
	case o.fromStdin:
		data, err := io.ReadAll(io.LimitReader(c.Stdin, maxTokenFile))
		if err != nil {
			errorf(c.Stderr, "reading the token from standard input: %v", err)
			return ExitUsage
		}
		raw[config.InToken] = string(data)
	case c.getenv("GH_TOKEN") != "":
		raw[config.InToken] = c.getenv("GH_TOKEN")
	default:
		raw[config.InToken] = c.getenv("GITHUB_TOKEN")
	}
	sec := secret.NewSet(nil)
	maskInputs(sec, raw)
	cfg, err := config.Parse(raw, c.getenv, true)
	if err == nil {
		err = inventoryToken(cfg)
	}
	if err != nil {
		errorf(c.Stderr, "%s", report.TerminalText(sec.Redact(err.Error())))
		return ExitUsage
	}
	progress := c.progressLine()
	inv, err := c.takeInventory(ctx, cfg, progress.update)
	progress.done()
	if err != nil {
		errorf(c.Stderr, "%s", report.TerminalText(sec.Redact(err.Error())))
		return ExitFail
	}
	inv = report.RedactInventory(inv, sec.Redact)
	if o.asJSON {
		data, _ := json.MarshalIndent(report.InventoryJSON(inv), "", "  ")
		fmt.Fprintln(c.Stdout, string(data))
	} else {
		fmt.Fprint(c.Stdout, report.InventoryTerminal(inv, st))
	}
	return inventoryStatus(inv)
}

// inventoryToken refuses an inventory without a token that reads: the
// token the inventory is taken with is `token`, never empty.
func inventoryToken(cfg config.Config) error {
	if len(cfg.Entries) == 0 || cfg.Entries[0].Value == "" {
		why := "empty"
		if len(cfg.Entries) > 0 && cfg.Entries[0].Bad != "" {
			why = cfg.Entries[0].Bad
		}
		return &config.InputError{Input: config.InToken, Problem: why + ", but the inventory reads with it", Flag: cfg.Terminal,
			Fix: "Give a token that can read the owner's repositories and secrets (docs/inventory.md, \"Permissions\"): a GitHub App token or a personal access token; GITHUB_TOKEN cannot read secrets"}
	}
	return nil
}

func inventoryStatus(inv inventory.Inventory) int {
	if inv.HasErrors() {
		return ExitFail
	}
	return ExitPass
}

// takeInventory reads the owner, audits each repository's workflows in
// memory as they arrive, and joins them, within the inventory's bound.
// What it returns is not yet redacted.
func (c *Command) takeInventory(ctx context.Context, cfg config.Config, progress func(github.Progress)) (inventory.Inventory, error) {
	timeout := c.InventoryTimeout
	if timeout <= 0 {
		timeout = DefaultInventoryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reader, err := github.NewReader(cfg.APIURL, cfg.Entries[0].Value, c.Transport, c.Policy, github.ReaderOptions{Progress: progress})
	if err != nil {
		return inventory.Inventory{}, err
	}
	t := cfg.Inventory
	estate, err := reader.Read(ctx, github.Target{Owner: t.Owner, Repo: t.Repo, IncludeArchived: t.IncludeArchived, IncludeForks: t.IncludeForks, MaxRepos: t.MaxRepos}, auditFiles)
	var bad *facts.BadCredentialsError
	switch {
	case errors.As(err, &bad):
		return inventory.Inventory{}, fmt.Errorf("GitHub refused the token (401 Bad credentials): it is expired, revoked or mistyped, so nothing could be read%s", facts.RequestIDNote(bad.RequestID))
	case err != nil:
		return inventory.Inventory{}, err
	}
	return inventory.Join(estate, inventory.Options{Now: c.Now(), MaxAgeDays: t.MaxAgeDays}), nil
}

// auditFiles audits one repository's workflow files in memory, with the
// same audit as `token-gate audit`. A file that could not be read is kept
// as an unreadable workflow, as a checked-out one would be.
func auditFiles(repository string, files []github.WorkflowFile) (finding.Report, bool) {
	repo := &workflow.Repo{Root: repository, LocalActions: map[string]string{}}
	for _, f := range files {
		if f.Err != "" {
			repo.Files = append(repo.Files, &workflow.File{Path: f.Path, Err: &workflow.Error{Pos: workflow.Pos{Line: 1, Col: 1}, Msg: "GitHub did not give its text: " + f.Err}})
			continue
		}
		repo.Files = append(repo.Files, workflow.Parse(f.Path, f.Source))
	}
	res := audit.Audit(repo, audit.Options{Repository: repository})
	return res.Report, inventory.ReadsAnySecret(repo.Files)
}

// progress is the line on standard error that says how the reading goes,
// rewritten in place, and only on a terminal: a log or a pipe gets none.
type progress struct {
	c     *Command
	on    bool
	mu    sync.Mutex
	last  time.Time
	wrote bool
}

func (c *Command) progressLine() *progress {
	return &progress{c: c, on: c.StderrIsTerminal && c.getenv("TERM") != "dumb"}
}

func (p *progress) update(g github.Progress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	total := ""
	if g.Total > 0 {
		total = " of " + strconv.Itoa(g.Total)
	}
	line := fmt.Sprintf("token-gate: reading %s: %d%s repositories listed, %d read, %d requests", g.Owner, g.Listed, total, g.Done, g.Requests)
	if g.Waiting != "" {
		line += "; " + g.Waiting
	}
	fmt.Fprintf(p.c.Stderr, "\r\x1b[K%s", report.TerminalText(line))
	p.wrote = true
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wrote {
		fmt.Fprint(p.c.Stderr, "\r\x1b[K")
	}
	p.on = false
}

// inventoryAction is the action with `inventory` set: the inventory in the
// log, the step summary, one annotation with the totals, and, with
// reminder: issue, the one inventory issue of this repository.
func (c *Command) inventoryAction(ctx context.Context, a *githubactions.Action, cfg config.Config, sec *secret.Set) int {
	if err := inventoryToken(cfg); err != nil {
		msg := sec.Redact(err.Error())
		a.WithFieldsMap(map[string]string{"title": "token-gate: bad input"}).Errorf("%s", msg)
		c.writeFiles(a, nil, fmt.Sprintf("## ❌ token-gate: bad input\n\n%s\n\nNothing was sent to GitHub.\n", report.Markdown(msg)))
		return ExitUsage
	}
	inv, err := c.takeInventory(ctx, cfg, nil)
	if err != nil {
		msg := sec.Redact(err.Error())
		a.WithFieldsMap(map[string]string{"title": "token-gate: inventory not taken"}).Errorf("%s", msg)
		c.writeFiles(a, nil, fmt.Sprintf("## ❌ token-gate: inventory not taken\n\n%s\n", report.Markdown(msg)))
		return ExitFail
	}
	inv = report.RedactInventory(inv, sec.Redact)
	c.logInventory(a, inv)
	var reminders []gate.Reminder
	if cfg.Reminder {
		var findings []gate.Finding
		reminders, findings = c.keepInventoryIssue(ctx, cfg, inv, sec)
		for _, f := range findings {
			a.WithFieldsMap(map[string]string{"title": f.Title}).Warningf("%s", sec.Redact(f.Message))
		}
	}
	totals := "token inventory of " + report.InventoryName(inv) + ": " + report.InventoryCounts(inv)
	fields := a.WithFieldsMap(map[string]string{"title": "token-gate inventory"})
	switch {
	case inv.HasErrors():
		fields.Errorf("%s", totals)
	case len(inv.Findings) > 0 || len(inv.NotVisible) > 0:
		fields.Warningf("%s", totals)
	default:
		fields.Noticef("%s", totals)
	}
	summary := report.InventorySummary(inv)
	if len(reminders) > 0 {
		var b strings.Builder
		b.WriteString("\n### Inventory issue\n\n")
		for _, r := range reminders {
			fmt.Fprintf(&b, "- %s [#%d](%s)\n", r.Action, r.Number, r.URL)
		}
		summary += b.String()
	}
	remindersJSON, _ := json.Marshal(orEmpty(reminders))
	if !c.writeFiles(a, []report.Output{{Name: "reminders", Value: string(remindersJSON)}}, summary) {
		return ExitFail
	}
	return inventoryStatus(inv)
}

func orEmpty(r []gate.Reminder) []gate.Reminder {
	if r == nil {
		return []gate.Reminder{}
	}
	return r
}

// logInventory prints the whole inventory to the log, its server text
// kept from acting as workflow commands by stop-commands with a random
// token.
func (c *Command) logInventory(a *githubactions.Action, inv inventory.Inventory) {
	resume, err := delimiterFor("")
	if err != nil {
		return
	}
	a.Group("token-gate: inventory")
	a.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: resume})
	fmt.Fprint(c.Stdout, report.InventoryTerminal(inv, report.Style{}))
	a.IssueCommand(&githubactions.Command{Name: resume})
	a.EndGroup()
}

// keepInventoryIssue keeps the one inventory issue of this repository with
// github-token, through the reminder machinery: opened once, edited only
// when what it says changed.
func (c *Command) keepInventoryIssue(ctx context.Context, cfg config.Config, inv inventory.Inventory, sec *secret.Set) ([]gate.Reminder, []gate.Finding) {
	client, err := github.NewClient(cfg.APIURL, cfg.GitHubToken, c.Transport, c.Policy)
	if err != nil {
		return nil, []gate.Finding{{Code: gate.CodeRemindersFailed, Severity: gate.Warning, Title: "Inventory issue not updated", Message: err.Error()}}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	pace := reminder.DefaultPace
	if c.ReminderPace > 0 {
		pace = c.ReminderPace
	}
	owner, repo, _ := strings.Cut(cfg.Repository, "/")
	title := "Token inventory of " + report.InventoryName(inv) + ": " + report.InventoryCounts(inv)
	return reminder.KeepInventory(ctx, client.REST(), reminder.Options{
		Owner: owner, Repo: repo, Labels: cfg.ReminderLabels, Mentions: cfg.ReminderMentions,
		Links: gate.Links{Server: cfg.ServerURL, Repository: cfg.Repository}, RunID: cfg.RunID,
		Now: c.Now(), Redact: sec.Redact, Pace: pace,
	}, report.InventoryName(inv), reminder.Document{Title: title, Body: report.InventoryIssue(inv, reminder.MaxBody-2000)})
}
