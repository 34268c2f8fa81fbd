// Package reminder owns the reminder issues: exactly one open issue per
// failing or soon-expiring token, found again on later runs by a hidden
// marker, edited only when what it says has changed, commented on when the
// verdict changes, and closed when the token is healthy again. Every title,
// body and comment passes through the run's redaction before it is sent.
package reminder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/github"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
)

// Options are the reminder inputs and the run's context.
type Options struct {
	Owner, Repo string
	Labels      []string
	Mentions    []string
	// RequiredScopes prefill the new-token link.
	RequiredScopes []string
	Links          gate.Links
	RunID          string
	Now            time.Time
	// Redact scrubs every credential of the run from text before it is
	// sent: an issue on a public repository is a published page.
	Redact func(string) string
	// Pace is the least time between two writes: GitHub asks for at least a
	// second between mutations (docs/facts.md, "Issues API").
	Pace time.Duration
	// MaxPages bounds the listing of open issues, 100 a page.
	MaxPages int
}

// MaxBody is GitHub's limit on an issue body, in characters.
const MaxBody = 65536

// DefaultPace and DefaultMaxPages are what a run uses.
const (
	DefaultPace     = time.Second
	DefaultMaxPages = 10
)

// The hidden marker later runs find an issue by. It records the health the
// issue last described, so a change is commented on once, and a digest of
// what the issue says, so an unchanged issue is not written again.
var (
	marker = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`<!-- token-gate: ([A-Za-z_][A-Za-z0-9_]*)(?: state=([a-z]+))? -->`)
	})
	digestMarker = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`<!-- token-gate-digest: ([0-9a-f]+) -->`)
	})
)

// issueKey reads which token's reminder an issue is (its name, upper-cased)
// and the health it described, or which owner's inventory it is
// (inventory:OWNER, which no secret name can be).
func issueKey(body string) (key, state string, ok bool) {
	if m := marker().FindStringSubmatch(body); m != nil {
		return strings.ToUpper(m[1]), m[2], true
	}
	if m := inventoryMarker().FindStringSubmatch(body); m != nil {
		return inventoryKey(m[1]), "", true
	}
	return "", "", false
}

func markerFor(name string, h gate.Health, digest string) string {
	return fmt.Sprintf("<!-- token-gate: %s state=%s -->\n<!-- token-gate-digest: %s -->", name, h, digest)
}

// Sync makes the open reminder issues match the verdicts, and reports what it
// did. A refusal by the issues API becomes one warning; the verdicts stand.
func Sync(ctx context.Context, client *gh.Client, opts Options, verdicts []gate.Verdict) ([]gate.Reminder, []gate.Finding) {
	s := newSyncer(client, opts, "")
	open, truncated, err := s.list(ctx)
	if err != nil {
		return nil, []gate.Finding{s.refused("list the open reminder issues", err)}
	}
	var findings []gate.Finding
	if truncated {
		findings = append(findings, gate.Finding{Code: gate.CodeRemindersFailed, Severity: gate.Warning, Title: "Reminder issues not all listed",
			Message: fmt.Sprintf("More than %d open issues matched the reminder labels, so the listing stopped there. Reminders that were not found are not opened again, to avoid duplicates. Give reminders a label of their own (reminder-labels) so the listing stays short.", s.o.MaxPages*100)})
	}
	var done []gate.Reminder
	for _, v := range verdicts {
		v = v.Redacted(s.o.Redact) // for the comment too; see render
		rs, err := s.one(ctx, v, open[strings.ToUpper(v.TokenName)], truncated)
		done = append(done, rs...)
		if err != nil {
			return done, append(findings, s.refused("update the reminder for "+v.TokenName, err))
		}
	}
	return done, findings
}

// newSyncer is a syncer for opts, its defaults filled: no redaction, and
// DefaultMaxPages.
func newSyncer(client *gh.Client, opts Options, stands string) *syncer {
	if opts.Redact == nil {
		opts.Redact = func(s string) string { return s }
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = DefaultMaxPages
	}
	return &syncer{c: client, o: opts, stands: stands}
}

type syncer struct {
	c         *gh.Client
	o         Options
	lastWrite time.Time
	// stands says what a refusal leaves standing: the token verdicts, or
	// the inventory.
	stands string
}

type openIssue struct {
	number int
	url    string
	title  string
	body   string
	state  gate.Health
	digest string
}

// list reads the open issues with the labels, oldest first (GitHub lists
// newest first unless asked), following pagination up to MaxPages. For each
// token the oldest reminder is kept; the others are duplicates.
func (s *syncer) list(ctx context.Context) (map[string][]openIssue, bool, error) {
	out := map[string][]openIssue{}
	opt := &gh.IssueListByRepoOptions{State: "open", Labels: s.o.Labels, Sort: "created", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 1; ; page++ {
		issues, resp, err := s.c.Issues.ListByRepo(ctx, s.o.Owner, s.o.Repo, opt)
		if err != nil {
			return nil, false, github.Classify(ctx, resp, err)
		}
		for _, i := range issues {
			if i.IsPullRequest() {
				continue
			}
			key, state, ok := issueKey(i.GetBody())
			if !ok {
				continue
			}
			digest := ""
			if d := digestMarker().FindStringSubmatch(i.GetBody()); d != nil {
				digest = d[1]
			}
			out[key] = append(out[key], openIssue{number: i.GetNumber(), url: s.issueURL(i.GetNumber(), i.GetHTMLURL()), title: i.GetTitle(), body: i.GetBody(), state: gate.Health(state), digest: digest})
		}
		if resp.NextPage == 0 {
			return out, false, nil
		}
		if page >= s.o.MaxPages {
			return out, true, nil
		}
		opt.Page = resp.NextPage
	}
}

// one brings the reminders of one token in line with its verdict.
func (s *syncer) one(ctx context.Context, v gate.Verdict, existing []openIssue, truncated bool) ([]gate.Reminder, error) {
	var done []gate.Reminder
	var kept openIssue
	if len(existing) > 0 {
		kept = existing[0]
		for _, dup := range existing[1:] {
			if err := s.closeDuplicate(ctx, dup, kept.number, v.TokenName); err != nil {
				return done, err
			}
			done = append(done, gate.Reminder{Name: v.TokenName, Action: "closed-duplicate", Number: dup.number, URL: dup.url})
		}
	}
	health := v.Health()
	switch {
	case health == gate.Unknown:
		// Unreachable, rate limited or no token: nothing new is known, so the
		// issue, if any, keeps what it said.
		return done, nil
	case health == gate.Healthy && kept.number == 0:
		return done, nil
	case health == gate.Healthy:
		comment := fmt.Sprintf("`%s` passes again and %s. Closing this reminder. %s", v.TokenName, expiryWords(v), s.runLink())
		if err := s.closeIssue(ctx, kept.number, comment, "completed"); err != nil {
			return done, err
		}
		return append(done, gate.Reminder{Name: v.TokenName, Action: "closed", Number: kept.number, URL: kept.url}), nil
	}
	title, body, digest := s.render(v, health)
	if kept.number == 0 {
		if truncated {
			return done, nil // it may exist beyond the listing; the warning says so
		}
		opened, err := s.create(ctx, v.TokenName, title, body)
		if err != nil {
			return done, err
		}
		return append(done, opened), nil
	}
	if kept.digest == digest && kept.state == health {
		return done, nil // it already says all this
	}
	if err := s.edit(ctx, kept.number, title, body); err != nil {
		return done, err
	}
	if kept.state != "" && kept.state != health {
		comment := fmt.Sprintf("The verdict changed from **%s** to **%s**: %s", kept.state, health, report.Markdown(headline(v)))
		if err := s.comment(ctx, kept.number, comment); err != nil {
			return done, err
		}
	}
	return append(done, gate.Reminder{Name: v.TokenName, Action: "updated", Number: kept.number, URL: kept.url}), nil
}

// create opens an issue with the reminder labels, and says so as the
// reminder of name.
func (s *syncer) create(ctx context.Context, name, title, body string) (gate.Reminder, error) {
	req := &gh.IssueRequest{Title: &title, Body: &body}
	if len(s.o.Labels) > 0 {
		// An empty list would be sent as "labels": null, which GitHub
		// refuses with 422 (docs/facts.md, "Issues API").
		labels := s.o.Labels
		req.Labels = &labels
	}
	var created *gh.Issue
	if err := s.mutate(ctx, func() (*gh.Response, error) {
		i, resp, err := s.c.Issues.Create(ctx, s.o.Owner, s.o.Repo, req)
		created = i
		return resp, err
	}); err != nil {
		return gate.Reminder{}, err
	}
	return gate.Reminder{Name: name, Action: "opened", Number: created.GetNumber(), URL: s.issueURL(created.GetNumber(), created.GetHTMLURL())}, nil
}

// edit rewrites an issue's title and body.
func (s *syncer) edit(ctx context.Context, number int, title, body string) error {
	return s.mutate(ctx, func() (*gh.Response, error) {
		_, resp, err := s.c.Issues.Edit(ctx, s.o.Owner, s.o.Repo, number, &gh.IssueRequest{Title: &title, Body: &body})
		return resp, err
	})
}

// closeDuplicate closes a duplicate reminder with one write that says why
// in the issue itself: its body gains a first line pointing at the reminder
// kept, in the same edit that closes it. Runs at the same time (a schedule
// and a push) list the same duplicates and each close them; a comment from
// each would say it twice, whereas the same edit sent twice leaves one
// note, and a run that lists after another closed the issue no longer sees
// it.
func (s *syncer) closeDuplicate(ctx context.Context, dup openIssue, keptNumber int, name string) error {
	note := fmt.Sprintf("> Closed by token-gate as a duplicate of #%d, the reminder it keeps for `%s`.", keptNumber, name)
	body := dup.body
	if !strings.HasPrefix(body, note) {
		body = note + "\n\n" + body
	}
	body = report.CutRunes(s.o.Redact(body), MaxBody)
	closed, reason := "closed", "not_planned"
	return s.mutate(ctx, func() (*gh.Response, error) {
		_, resp, err := s.c.Issues.Edit(ctx, s.o.Owner, s.o.Repo, dup.number, &gh.IssueRequest{State: &closed, StateReason: &reason, Body: &body})
		return resp, err
	})
}

func (s *syncer) closeIssue(ctx context.Context, number int, comment, reason string) error {
	if err := s.comment(ctx, number, comment); err != nil {
		return err
	}
	closed := "closed"
	return s.mutate(ctx, func() (*gh.Response, error) {
		_, resp, err := s.c.Issues.Edit(ctx, s.o.Owner, s.o.Repo, number, &gh.IssueRequest{State: &closed, StateReason: &reason})
		return resp, err
	})
}

func (s *syncer) comment(ctx context.Context, number int, text string) error {
	text = s.o.Redact(text)
	return s.mutate(ctx, func() (*gh.Response, error) {
		_, resp, err := s.c.Issues.CreateComment(ctx, s.o.Owner, s.o.Repo, number, &gh.IssueComment{Body: &text})
		return resp, err
	})
}

// mutate makes one write, paced: it starts at least Pace after the last
// write ended, and not at all if it could not end inside the run's bound.
func (s *syncer) mutate(ctx context.Context, write func() (*gh.Response, error)) error {
	if err := s.pace(ctx); err != nil {
		return err
	}
	resp, err := write()
	s.lastWrite = time.Now()
	if err != nil {
		return github.Classify(ctx, resp, err)
	}
	return nil
}

// errOutOfTime is a write skipped because it would end past the run's bound.
var errOutOfTime = errors.New("the run's time bound would pass before the next write")

// pace waits until Pace has passed since the last write ended, unless the
// next write could then not end (within another Pace) before the deadline.
func (s *syncer) pace(ctx context.Context) error {
	wait := time.Until(s.lastWrite.Add(s.o.Pace))
	if deadline, ok := ctx.Deadline(); ok && time.Now().Add(max(wait, 0)+s.o.Pace).After(deadline) {
		return errOutOfTime
	}
	if wait > 0 && transport.Sleep(ctx, wait) != nil {
		return errOutOfTime
	}
	return nil
}

// expiryWords says what is known of a healthy token's expiry, for the
// closing comment: a date, never, or why it is not known.
func expiryWords(v gate.Verdict) string {
	switch v.Expiry {
	case gate.ExpiryKnown:
		return fmt.Sprintf("it now expires on %s (%d days left)", v.ExpiresAt.Format("2006-01-02"), v.DaysRemaining)
	case gate.ExpiryNever:
		return "it does not expire"
	case gate.ExpiryNotVisible:
		return "its expiry is not visible to token-gate (the registry lets no token read its own), so this closes on the check alone"
	case gate.ExpiryUnreadable:
		return "its expiry could not be read (GitHub sent a date token-gate does not understand), so this closes on the check alone"
	}
	return "its expiry is unknown, so this closes on the check alone"
}

// maxWhere and maxImages bound "Where it is used" and the images it pushes,
// in characters, within the room the findings' budget leaves.
const (
	maxWhere  = 4000
	maxImages = 1000
)

// MaxTitle is GitHub's limit on an issue title, in characters.
const MaxTitle = 256

// headline is the title's claim: what is wrong and when, within GitHub's
// limit on titles.
func headline(v gate.Verdict) string {
	return report.CutRunes(claim(v), MaxTitle)
}

func claim(v gate.Verdict) string {
	if v.Has(gate.CodeBadCredentials) {
		return v.TokenName + " is expired or revoked"
	}
	if v.HasExpiry() && v.Expiring {
		date := v.ExpiresAt.Format("2006-01-02")
		switch {
		case v.ExpiresNow:
			return fmt.Sprintf("%s expires now (%s)", v.TokenName, date)
		case v.DaysRemaining == 0:
			return fmt.Sprintf("%s expires today (%s)", v.TokenName, date)
		case v.DaysRemaining == 1:
			return fmt.Sprintf("%s expires in 1 day (%s)", v.TokenName, date)
		}
		return fmt.Sprintf("%s expires in %d days (%s)", v.TokenName, v.DaysRemaining, date)
	}
	for _, f := range v.Findings {
		if f.Severity == gate.Error {
			return v.TokenName + " fails its check: " + f.Title
		}
	}
	return v.TokenName + " needs attention"
}

// render builds the issue. The digest covers everything but the footer (the
// date and the run), so an unchanged verdict leaves the issue unwritten.
func (s *syncer) render(v gate.Verdict, h gate.Health) (title, body, digest string) {
	// Redacted whole first: what follows cuts and escapes, and a
	// credential cut or escaped for Markdown no longer matches the
	// redaction.
	v = v.Redacted(s.o.Redact)
	title = s.o.Redact(headline(v))
	var b strings.Builder
	fmt.Fprintf(&b, "`%s` is a %s", v.TokenName, v.Kind.Describe())
	if v.Login != "" {
		fmt.Fprintf(&b, " of %s", report.Markdown("@"+v.Login))
	}
	b.WriteString(" that this repository's workflows use.")
	switch {
	case v.HasExpiry() && v.ExpiresNow:
		fmt.Fprintf(&b, " It expires now: GitHub gives **%s**, yet still accepted it.", v.ExpiresAt.Format("2006-01-02 15:04 UTC"))
	case v.HasExpiry():
		fmt.Fprintf(&b, " It expires on **%s** (%d days left).", v.ExpiresAt.Format("2006-01-02 15:04 UTC"), v.DaysRemaining)
	}
	b.WriteString("\n\n### What the check found\n\n")
	// An issue body holds at most 65,536 characters (docs/facts.md, "Issues
	// API"); past a budget that leaves room for the rest, findings are
	// counted instead of listed.
	const budget = MaxBody - 8000
	left := 0
	for _, f := range v.Findings {
		if f.Severity == gate.Notice {
			continue
		}
		line := fmt.Sprintf("- **%s** (%s): %s\n", report.Markdown(f.Title), f.Severity, report.Markdown(f.Message))
		if left > 0 || utf8.RuneCountInString(b.String())+utf8.RuneCountInString(line) > budget {
			left++
			continue
		}
		b.WriteString(line)
	}
	if left > 0 {
		fmt.Fprintf(&b, "- … and %d more findings, cut to keep this issue within GitHub's 65,536 characters; the run's step summary, `report` output and log list them all.\n", left)
	}
	secretName := v.TokenName
	if u := v.UsedBy; u != nil {
		secretName = u.Secret
		// Each place once, in code spans its name cannot leave, and
		// bounded, like the images: the findings above and the checklist
		// below must fit the body's limit whatever the workflows hold.
		b.WriteString("\n### Where it is used\n\n")
		b.WriteString(report.WhereUsed(u.Uses, maxWhere))
		if len(u.Images) > 0 {
			fmt.Fprintf(&b, "\nIt pushes %s.\n", report.Markdown(report.CutRunes(strings.Join(u.Images, ", "), maxImages)))
		}
	}
	// The renewal, in the order it is done (docs/facts.md, "Renewing a
	// secret"): a new token, the secret set without the value on any
	// command line, the failed jobs run again.
	b.WriteString("\n### Renewal checklist\n\n")
	fmt.Fprintf(&b, "- [ ] %s\n", gate.Renew(v.Kind, v.TokenName, s.o.Links, token.ReplacementScopes(s.o.RequiredScopes, v.Scopes)))
	cmd := s.commands()
	fmt.Fprintf(&b, "- [ ] Save it: `%s` for a repository secret. For an organization secret, give its visibility again, since the command sets it: `%s` (or `all`), or, when it is shared with selected repositories, `%s` naming every repository it is shared with (the command replaces the list). gh asks for the value, so it stays out of your shell history.\n",
		cmd.repoSecret(secretName), cmd.orgSecret(secretName, "--visibility private"), cmd.orgSecret(secretName, "--visibility selected --repos "+s.o.Repo+",OTHER_REPO"))
	if h == gate.Failed && s.o.RunID != "" {
		fmt.Fprintf(&b, "- [ ] Re-run the failed jobs and the jobs that depend on them: `%s`.\n", cmd.rerunFailed(s.o.RunID))
	} else {
		b.WriteString("- [ ] Re-run the token check.\n")
	}
	b.WriteString("\nThis issue closes itself once the token passes outside the warning window.\n")
	if len(s.o.Mentions) > 0 {
		b.WriteString("\ncc")
		for _, m := range s.o.Mentions {
			b.WriteString(" @" + m)
		}
		b.WriteString("\n")
	}
	content := s.o.Redact(title + "\n" + b.String())
	sum := sha256.Sum256([]byte(content))
	digest = hex.EncodeToString(sum[:6])
	body = markerFor(v.TokenName, h, digest) + "\n" + s.o.Redact(b.String()) +
		fmt.Sprintf("\n_Kept by token-gate. Last written %s. %s_\n", s.o.Now.UTC().Format("2006-01-02"), s.runLink())
	return title, body, digest
}

// ghCommands writes the gh commands of the renewal checklist for the
// repository's own server. gh goes to github.com unless told otherwise: a
// command that names a repository names its host in --repo HOST/OWNER/REPO,
// and one that names only an organization (gh secret set --org, which takes
// its host from GH_HOST, not from --repo) is prefixed GH_HOST=HOST. On
// github.com neither is needed, and neither is written (docs/facts.md,
// "Renewing a secret").
type ghCommands struct {
	host        string // empty on github.com
	owner, repo string
}

func (s *syncer) commands() ghCommands {
	c := ghCommands{owner: s.o.Owner, repo: s.o.Repo}
	if u, err := url.Parse(s.o.Links.Server); err == nil && u.Host != "" && !strings.EqualFold(u.Host, "github.com") {
		c.host = u.Host
	}
	return c
}

// repoFlag is --repo with the host when it is not github.com.
func (c ghCommands) repoFlag() string {
	if c.host == "" {
		return "--repo " + c.owner + "/" + c.repo
	}
	return "--repo " + c.host + "/" + c.owner + "/" + c.repo
}

func (c ghCommands) repoSecret(name string) string {
	return "gh secret set " + name + " " + c.repoFlag()
}

// orgSecret sets an organization secret; with --visibility selected, gh
// refuses to run without --repos (cli/cli#9808).
func (c ghCommands) orgSecret(name, visibility string) string {
	cmd := "gh secret set " + name + " --org " + c.owner + " " + visibility
	if c.host != "" {
		cmd = "GH_HOST=" + c.host + " " + cmd
	}
	return cmd
}

func (c ghCommands) rerunFailed(runID string) string {
	return "gh run rerun " + runID + " --failed " + c.repoFlag()
}

// issueURL is the issue's page: GitHub's html_url when it is the page it
// must be, {server}/OWNER/REPO/issues/N, and otherwise that address built
// here. An answer cannot put any other link into the summary or outputs.
func (s *syncer) issueURL(number int, htmlURL string) string {
	want := fmt.Sprintf("%s/%s/%s/issues/%d", s.o.Links.Server, s.o.Owner, s.o.Repo, number)
	if htmlURL == want {
		return htmlURL
	}
	return want
}

func (s *syncer) runLink() string {
	if s.o.RunID == "" || s.o.Links.Repository == "" {
		return ""
	}
	return fmt.Sprintf("[Run %s](%s/%s/actions/runs/%s)", s.o.RunID, s.o.Links.Server, s.o.Links.Repository, s.o.RunID)
}

// refused turns a refusal by the issues API into one warning that says what
// to do; the token verdicts stand, and nothing is retried.
func (s *syncer) refused(what string, err error) gate.Finding {
	stands := s.stands
	if stands == "" {
		stands = "The token verdicts above stand."
	}
	msg := fmt.Sprintf("token-gate could not %s: %v. %s", what, err, stands)
	var (
		api *facts.APIError
		bad *facts.BadCredentialsError
		rl  *facts.RateLimitError
	)
	switch {
	case errors.Is(err, errOutOfTime):
		msg += " The remaining reminder writes were skipped to keep the run inside its time bound; the next run catches up."
	case errors.As(err, &rl):
		msg += " GitHub's rate limit on issue writes stopped it; the next run catches up (nothing is retried, so no duplicate is opened)."
	case errors.As(err, &api) && (api.Status == 404 || api.Status == 410):
		msg += " Issues are disabled in this repository, or it is not the repository meant: enable Issues in the repository's settings, or set reminder: off."
	case errors.As(err, &api) && api.Status == 403 || errors.As(err, &bad):
		msg += " Give the job `permissions: issues: write` (and keep github-token at its default, ${{ github.token }})."
	}
	return gate.Finding{Code: gate.CodeRemindersFailed, Severity: gate.Warning, Title: "Reminder issues not updated", Message: s.o.Redact(msg)}
}
