// Package config owns token-gate's inputs: it reads the raw strings a
// workflow or a terminal gave, and either returns a Config that every later
// step can trust or an InputError that names the input, the bad value and
// the fix. No request is made before this package has said yes.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/token-gate/token-gate/internal/registry"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
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
)

// Defaults, the same as action.yml's; the terminal uses them too.
var Defaults = map[string]string{
	InTokenName:      "token",
	InRequiredScopes: "write:packages",
	InWarnWithinDays: "14",
	InFailWithinDays: "0",
	InOnMissing:      "fail",
	InAPIURL:         "https://api.github.com",
	InReminder:       "off",
	InReminderLabels: "token-expiry",
}

// MaxTokens bounds the `tokens` input.
const MaxTokens = 50

// OnMissing is what an empty token does to the run.
type OnMissing string

// The on-missing choices.
const (
	MissingFail OnMissing = "fail"
	MissingWarn OnMissing = "warn"
	MissingSkip OnMissing = "skip"
)

// Entry is one token to check, under the name messages use for it.
type Entry struct {
	Name  string
	Value string // cleaned; empty when the secret was empty
	// Bad explains why Value could not be used as a token (whitespace inside,
	// non-ASCII); it never quotes the value.
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
	Packages       []registry.Image

	Reminder         bool
	GitHubToken      string
	ReminderLabels   []string
	ReminderMentions []string

	// From the runner's environment; used to build links and reminders.
	ServerURL  string
	Repository string // OWNER/REPO
	RunID      string
}

// InputError is bad input. Value is empty for the token inputs, which are
// never quoted.
type InputError struct {
	Input   string
	Value   string
	Problem string
	Fix     string
	// Flag is set in terminal mode, so the message names --input.
	Flag bool
}

func (e *InputError) Error() string {
	name := "input `" + e.Input + "`"
	if e.Flag {
		name = "flag --" + e.Input
	}
	msg := name + ": " + e.Problem
	if e.Value != "" {
		msg = fmt.Sprintf("%s: %q: %s", name, clip(e.Value), e.Problem)
	}
	if e.Fix != "" {
		msg += ". " + e.Fix
	}
	return msg
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// Raw is the inputs as strings, keyed by input name. A missing key takes its
// default; a present empty value stays empty (an empty required-scopes
// disables the scope check).
type Raw map[string]string

func (r Raw) get(name string) string {
	if v, ok := r[name]; ok {
		return v
	}
	return Defaults[name]
}

// Parse checks every input. terminal selects flag wording in errors.
func Parse(raw Raw, env func(string) string, terminal bool) (Config, error) {
	bad := func(input, value, problem, fix string) error {
		return &InputError{Input: input, Value: value, Problem: problem, Fix: fix, Flag: terminal}
	}
	var c Config
	var err error

	if c.RequiredScopes, err = token.ParseRequiredScopes(raw.get(InRequiredScopes)); err != nil {
		var ue *token.UnknownScopeError
		if !errors.As(err, &ue) {
			return c, bad(InRequiredScopes, raw.get(InRequiredScopes), err.Error(), "")
		}
		fix := "Use a classic scope name, such as write:packages or repo"
		if ue.Suggestion != "" {
			fix = fmt.Sprintf("Did you mean %q?", ue.Suggestion)
		}
		return c, bad(InRequiredScopes, ue.Scope, "not a GitHub classic scope", fix)
	}

	if c.WarnDays, err = days(raw.get(InWarnWithinDays)); err != nil {
		return c, bad(InWarnWithinDays, raw.get(InWarnWithinDays), "not a whole number of days >= 0", "Use a number such as 14, or 0 to turn the warning off")
	}
	if c.FailDays, err = days(raw.get(InFailWithinDays)); err != nil {
		return c, bad(InFailWithinDays, raw.get(InFailWithinDays), "not a whole number of days >= 0", "Use a number such as 3, or 0 to fail only a token that no longer works")
	}
	if c.WarnDays != 0 && c.FailDays > c.WarnDays {
		return c, bad(InFailWithinDays, raw.get(InFailWithinDays),
			fmt.Sprintf("greater than %s (%d), so the warning could never fire", InWarnWithinDays, c.WarnDays),
			fmt.Sprintf("Make %s at most %d, or raise %s", InFailWithinDays, c.WarnDays, InWarnWithinDays))
	}

	switch m := OnMissing(strings.ToLower(strings.TrimSpace(raw.get(InOnMissing)))); m {
	case MissingFail, MissingWarn, MissingSkip:
		c.OnMissing = m
	default:
		return c, bad(InOnMissing, raw.get(InOnMissing), "not one of fail, warn, skip", "Use fail (the default), warn or skip")
	}

	if c.APIURL, err = apiURL(raw.get(InAPIURL)); err != nil {
		return c, bad(InAPIURL, raw.get(InAPIURL), err.Error(), "Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server")
	}

	if c.Packages, err = packages(raw.get(InPackages)); err != nil {
		return c, bad(InPackages, "", err.Error(), "Write each image as REGISTRY/OWNER/NAME, e.g. ghcr.io/aibrix/gateway-plugins")
	}

	name := strings.TrimSpace(raw.get(InTokenName))
	if name == "" {
		name = Defaults[InTokenName]
	}
	entries, err := parseTokens(raw.get(InTokens))
	if err != nil {
		return c, bad(InTokens, "", err.Error(), "Write one NAME=VALUE per line, e.g. DOCS_DEPLOY_TOKEN=${{ secrets.DOCS_DEPLOY_TOKEN }}")
	}
	// `token` may be empty when `tokens` is set; alone, an empty one is judged
	// by on-missing.
	if strings.TrimSpace(raw.get(InToken)) != "" || len(entries) == 0 {
		e := newEntry(name, raw.get(InToken))
		for _, other := range entries {
			if other.Name == e.Name {
				return c, bad(InTokens, other.Name, "names the same token as `token-name`", "Give each token a distinct name")
			}
		}
		entries = append([]Entry{e}, entries...)
	}
	c.Entries = entries

	switch r := strings.ToLower(strings.TrimSpace(raw.get(InReminder))); r {
	case "off", "":
	case "issue":
		c.Reminder = true
	default:
		return c, bad(InReminder, raw.get(InReminder), "not one of off, issue", "Use off (the default) or issue")
	}
	c.GitHubToken = strings.TrimSpace(raw.get(InGitHubToken))
	c.ReminderLabels = splitComma(raw.get(InReminderLabels))
	for _, m := range token.SplitList(raw.get(InReminderMentions)) {
		m = strings.TrimPrefix(m, "@")
		if !loginRE.MatchString(m) {
			return c, bad(InReminderMentions, m, "not a GitHub login or team", "Write logins such as octocat or @octocat, separated by commas or spaces")
		}
		c.ReminderMentions = append(c.ReminderMentions, m)
	}
	if c.Reminder {
		if c.GitHubToken == "" {
			return c, bad(InGitHubToken, "", "empty, but reminder: issue needs it to manage issues", "Leave github-token at its default (${{ github.token }}) and grant permissions: issues: write")
		}
		for _, e := range c.Entries {
			if e.Value != "" && e.Value == c.GitHubToken {
				return c, bad(InGitHubToken, "", "is the same token as "+e.Name+", one of the tokens being checked", "Use ${{ github.token }} for github-token")
			}
		}
		if !strings.Contains(env("GITHUB_REPOSITORY"), "/") {
			return c, bad(InReminder, "issue", "needs GITHUB_REPOSITORY (OWNER/REPO) to know where to open issues", "Run it inside GitHub Actions, or set GITHUB_REPOSITORY")
		}
	}

	c.ServerURL = strings.TrimRight(env("GITHUB_SERVER_URL"), "/")
	if c.ServerURL == "" {
		c.ServerURL = serverFromAPI(c.APIURL)
	}
	c.Repository = env("GITHUB_REPOSITORY")
	c.RunID = env("GITHUB_RUN_ID")
	return c, nil
}

var (
	secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	loginRE      = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]+)?$`)
)

func newEntry(name, raw string) Entry {
	tok, err := token.Clean(raw)
	if err != nil {
		return Entry{Name: name, Bad: err.Error()}
	}
	return Entry{Name: name, Value: tok}
}

// parseTokens reads the `tokens` input: NAME=VALUE lines, blank lines and
// # comments ignored.
func parseTokens(v string) ([]Entry, error) {
	var out []Entry
	seen := map[string]bool{}
	for i, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok {
			// The line may be a bare token; never quote it.
			return nil, fmt.Errorf("line %d has no '=' (expected NAME=VALUE)", i+1)
		}
		if !secretNameRE.MatchString(name) {
			return nil, fmt.Errorf("line %d: %q is not a valid secret name (letters, digits and _, not starting with a digit)", i+1, clip(name))
		}
		if seen[name] {
			return nil, fmt.Errorf("line %d: %q appears twice", i+1, name)
		}
		seen[name] = true
		out = append(out, newEntry(name, value))
		if len(out) > MaxTokens {
			return nil, fmt.Errorf("more than %d tokens", MaxTokens)
		}
	}
	return out, nil
}

func days(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 3650 {
		return 0, fmt.Errorf("bad days")
	}
	return n, nil
}

func apiURL(v string) (*url.URL, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		v = Defaults[InAPIURL]
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("not an absolute URL")
	}
	if u.User != nil {
		return nil, fmt.Errorf("holds credentials; the token goes in `token`")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("has a query or fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !transport.IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("plain http to a host that is not loopback would send the token in clear text")
		}
	default:
		return nil, fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	return u, nil
}

// serverFromAPI derives the web host for links when GITHUB_SERVER_URL is not
// set (the terminal): api.github.com → github.com; HOST/api/v3 → HOST.
func serverFromAPI(u *url.URL) string {
	if strings.EqualFold(u.Host, "api.github.com") {
		return "https://github.com"
	}
	return u.Scheme + "://" + u.Host
}

func packages(v string) ([]registry.Image, error) {
	refs := token.SplitList(v)
	if len(refs) > registry.MaxImages {
		return nil, fmt.Errorf("%d images listed; at most %d may be probed in one run", len(refs), registry.MaxImages)
	}
	var out []registry.Image
	for _, ref := range refs {
		img, err := registry.ParseImage(ref)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, img) {
			out = append(out, img)
		}
	}
	return out, nil
}

func splitComma(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
