// Package config owns token-gate's inputs: the one list of them (names and
// defaults, which action.yml must match), and how the raw strings a workflow
// or a terminal gave become a Config that every later step can trust, or an
// InputError that names the input, the bad value and the fix. No request is
// made before this package has said yes.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/secret"
)

// Input names, exactly as action.yml declares them.
const (
	InToken            = "token"
	InTokenName        = "token-name"
	InRequiredScopes   = "required-scopes"
	InWarnWithinDays   = "warn-within-days"
	InFailWithinDays   = "fail-within-days"
	InOnMissing        = "on-missing"
	InAPIURL           = "api-url"
	InPackages         = "packages"
	InTokens           = "tokens"
	InReminder         = "reminder"
	InGitHubToken      = "github-token"
	InReminderLabels   = "reminder-labels"
	InReminderMentions = "reminder-mentions"
	InRegistry         = "registry"
	InUsername         = "username"
	InAudit            = "audit"
	InInventory        = "inventory"
	InMaxAgeDays       = "max-age-days"
	InMaxRepos         = "max-repos"
	InInventoryInclude = "inventory-include"
)

// DefaultAPIURL is github.com's REST API, the last fallback of api-url.
const DefaultAPIURL = "https://api.github.com"

// MaxTokens bounds the `tokens` input.
const MaxTokens = 50

// MaxNameLength bounds a token's name (token-name, and each name in
// tokens): the name goes into issue titles, which GitHub cuts at 256
// characters, and into markers and links. GitHub documents no limit for
// secret names; 100 characters leaves every title room.
const MaxNameLength = 100

// MaxHostLength bounds a registry's host[:port]: a host name is at most 253
// characters (RFC 1035, 2.3.4: 255 octets on the wire), and a port adds at
// most six (docs/facts.md, "Registries").
const MaxHostLength = 253 + len(":65535")

// MaxUsernameLength bounds username: no registry's account names come near
// it, and it is echoed in outputs and messages.
const MaxUsernameLength = 256

// OnMissing is what an empty token does to the run.
type OnMissing string

// The on-missing choices.
const (
	MissingFail OnMissing = "fail"
	MissingWarn OnMissing = "warn"
	MissingSkip OnMissing = "skip"
)

// AuditMode is what the workflow audit does in a check: nothing, annotate
// its findings as warnings, or fail the step on an error finding.
type AuditMode string

// The audit choices.
const (
	AuditOff  AuditMode = "off"
	AuditWarn AuditMode = "warn"
	AuditFail AuditMode = "fail"
)

// Entry is one token to check, under the name messages use for it.
type Entry struct {
	Name  string
	Value string // cleaned; empty when the secret was empty
	// Bad explains why Value could not be used as a token (whitespace inside,
	// too short); it never quotes the value.
	Bad string
}

// Config is every input, checked.
type Config struct {
	Entries        []Entry // `token` first (when given), then `tokens`
	RequiredScopes []string
	WarnDays       int
	FailDays       int
	OnMissing      OnMissing
	APIURL         *url.URL
	// GitHubRegistry is the container registry of api-url's server: ghcr.io,
	// or containers.HOST on GHES.
	GitHubRegistry string
	// Registry is set when the token is a credential for a registry other
	// than GitHub's (Docker Hub's host for docker.io); Username goes with it.
	Registry string
	Username string
	// ScopesIgnored is set when required-scopes was given for a registry
	// credential, to which scopes do not apply.
	ScopesIgnored bool
	Packages      []image.Image

	Audit AuditMode

	// Inventory is what `inventory` names: an owner, or one of its
	// repositories; empty when no inventory is asked for.
	Inventory InventoryTarget

	Reminder         bool
	GitHubToken      string
	ReminderLabels   []string
	ReminderMentions []string

	// From the runner's environment; used to build links and reminders.
	ServerURL  string
	Repository string // OWNER/REPO
	RunID      string
	// Workspace is GITHUB_WORKSPACE, where the job checked out; Workflow
	// is the running workflow's file (from GITHUB_WORKFLOW_REF) and Job its
	// job's ID (GITHUB_JOB), to find this step among the workflows.
	Workspace string
	Workflow  string
	Job       string

	// Terminal is set for a run from a terminal: messages then name its
	// flags and GH_TOKEN, and give no advice only a workflow can take.
	Terminal bool
}

// InventoryTarget is an inventory's owner, and its repository when one
// alone is asked for, with the bounds and choices of the run.
type InventoryTarget struct {
	Owner, Repo     string
	MaxAgeDays      int
	MaxRepos        int
	IncludeArchived bool
	IncludeForks    bool
}

// OtherRegistry reports whether the token is a credential for a registry
// other than GitHub's, checked without any GitHub request.
func (c Config) OtherRegistry() bool { return c.Registry != "" }

// InputError is bad input. Value is quoted with secret.Quote, so a token
// pasted into the wrong input is never printed whole; it is empty for the
// token inputs, which are never quoted.
type InputError struct {
	Input   string
	Value   string
	Problem string
	Fix     string
	// Flag is set in terminal mode, so the message names the terminal's own
	// flag (or GH_TOKEN), never the action's input.
	Flag bool
}

func (e *InputError) Error() string {
	name := "input " + Label(e.Input, false)
	if e.Flag {
		name = Label(e.Input, true)
		if strings.HasPrefix(name, "--") {
			name = "flag " + name
		}
	}
	msg := name + ": " + e.Problem
	if e.Value != "" {
		msg = fmt.Sprintf("%s: %s: %s", name, secret.Quote(e.Value), e.Problem)
	}
	if e.Fix != "" {
		msg += ". " + e.Fix
	}
	return msg
}

// Raw is the inputs as strings, keyed by input name. A missing key takes its
// default; a present empty value stays empty (an empty required-scopes
// disables the scope check).
type Raw map[string]string

func (r Raw) get(name string) string {
	if v, ok := r[name]; ok {
		return v
	}
	return Default(name)
}

// Label names an input as its reader sets it: `packages` in a workflow;
// --packages, GH_TOKEN or --tokens-file in a terminal.
func Label(name string, terminal bool) string {
	switch {
	case !terminal:
		return "`" + name + "`"
	case name == InToken:
		return "GH_TOKEN (or --token-stdin)"
	case name == InTokens:
		return "--tokens-file"
	case name == InInventory:
		return "OWNER[/REPO]"
	}
	return "--" + name
}

// Parse checks every input, one parser per input in the order of Inputs, then
// the rules that join several. terminal words every error for a terminal.
func Parse(raw Raw, env func(string) string, terminal bool) (Config, error) {
	p := &parser{raw: raw, env: env}
	p.c.Terminal = terminal
	err := p.parse()
	var ie *InputError
	if errors.As(err, &ie) {
		ie.Flag = terminal
	}
	return p.c, err
}

func (p *parser) parse() error {
	for _, in := range inputs {
		if in.parse == nil {
			continue
		}
		if err := in.parse(p, p.raw.get(in.Name)); err != nil {
			return err
		}
	}
	return p.finish()
}

func bad(input, value, problem, fix string) error {
	return &InputError{Input: input, Value: value, Problem: problem, Fix: fix}
}

// redactURLText removes the userinfo of a URL that did not parse, so that an
// error can quote it without its password.
func redactURLText(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if slash := strings.Index(rest, "/"); slash < 0 || at < slash {
			rest = "xxxxx@" + rest[at+1:]
		}
	}
	return scheme + "://" + rest
}
