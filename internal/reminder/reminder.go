// Package reminder owns the reminder issues: one open issue per failing or
// soon-expiring token, found again on later runs by a hidden marker, edited
// in place, commented on when the verdict changes, and closed when the token
// is healthy again. It never writes a token anywhere: issues are built from
// the verdict, which holds none.
package reminder

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/github"
	"github.com/token-gate/token-gate/internal/token"
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
}

// marker is the hidden line later runs find an issue by. It also records the
// health the issue last described, so a change can be commented on once.
var marker = regexp.MustCompile(`<!-- token-gate: ([A-Za-z_][A-Za-z0-9_]*)(?: state=([a-z]+))? -->`)

func markerFor(name string, h gate.Health) string {
	return fmt.Sprintf("<!-- token-gate: %s state=%s -->", name, h)
}

// Sync makes the open reminder issues match the verdicts, and reports what it
// did. A refusal by the issues API becomes a warning; the verdicts stand.
func Sync(ctx context.Context, client *gh.Client, opts Options, verdicts []gate.Verdict) ([]gate.Reminder, []gate.Finding) {
	s := syncer{c: client, o: opts}
	open, err := s.list(ctx)
	if err != nil {
		return nil, []gate.Finding{s.refused("list the open reminder issues", err)}
	}
	var done []gate.Reminder
	for _, v := range verdicts {
		r, err := s.one(ctx, v, open[v.TokenName])
		if err != nil {
			return done, []gate.Finding{s.refused("update the reminder for "+v.TokenName, err)}
		}
		if r != nil {
			done = append(done, *r)
		}
	}
	return done, nil
}

type syncer struct {
	c *gh.Client
	o Options
}

type openIssue struct {
	number int
	url    string
	title  string
	body   string
	state  gate.Health
}

// list reads every open issue with the labels once, following pagination,
// rather than searching once per token.
func (s syncer) list(ctx context.Context) (map[string]openIssue, error) {
	out := map[string]openIssue{}
	opt := &gh.IssueListByRepoOptions{State: "open", Labels: s.o.Labels, ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		issues, resp, err := s.c.Issues.ListByRepo(ctx, s.o.Owner, s.o.Repo, opt)
		if err != nil {
			return nil, github.Classify(ctx, resp, err)
		}
		for _, i := range issues {
			if i.IsPullRequest() {
				continue
			}
			m := marker.FindStringSubmatch(i.GetBody())
			if m == nil {
				continue
			}
			if _, dup := out[m[1]]; dup {
				continue // the oldest listed first wins; a duplicate is left alone
			}
			out[m[1]] = openIssue{number: i.GetNumber(), url: i.GetHTMLURL(), title: i.GetTitle(), body: i.GetBody(), state: gate.Health(m[2])}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func (s syncer) one(ctx context.Context, v gate.Verdict, existing openIssue) (*gate.Reminder, error) {
	health := v.Health()
	switch {
	case health == gate.Unknown:
		// Unreachable, rate limited or no token: nothing new is known, so the
		// issue, if any, keeps what it said.
		return nil, nil
	case health == gate.Healthy && existing.number == 0:
		return nil, nil
	case health == gate.Healthy:
		return s.close(ctx, v, existing)
	}
	title, body := s.render(v, health)
	if existing.number == 0 {
		req := &gh.IssueRequest{Title: &title, Body: &body, Labels: &s.o.Labels}
		i, resp, err := s.c.Issues.Create(ctx, s.o.Owner, s.o.Repo, req)
		if err != nil {
			return nil, github.Classify(ctx, resp, err)
		}
		return &gate.Reminder{Name: v.TokenName, Action: "opened", Number: i.GetNumber(), URL: i.GetHTMLURL()}, nil
	}
	if existing.title != title || existing.body != body {
		if _, resp, err := s.c.Issues.Edit(ctx, s.o.Owner, s.o.Repo, existing.number, &gh.IssueRequest{Title: &title, Body: &body}); err != nil {
			return nil, github.Classify(ctx, resp, err)
		}
	}
	if existing.state != "" && existing.state != health {
		comment := fmt.Sprintf("The verdict changed from **%s** to **%s**: %s", existing.state, health, headline(v))
		if _, resp, err := s.c.Issues.CreateComment(ctx, s.o.Owner, s.o.Repo, existing.number, &gh.IssueComment{Body: &comment}); err != nil {
			return nil, github.Classify(ctx, resp, err)
		}
	}
	return &gate.Reminder{Name: v.TokenName, Action: "updated", Number: existing.number, URL: existing.url}, nil
}

func (s syncer) close(ctx context.Context, v gate.Verdict, existing openIssue) (*gate.Reminder, error) {
	expiry := "it does not expire"
	if v.HasExpiry() {
		expiry = fmt.Sprintf("it now expires on %s (%d days left)", v.ExpiresAt.Format("2006-01-02"), v.DaysRemaining)
	}
	comment := fmt.Sprintf("`%s` passes again and %s. Closing this reminder. %s", v.TokenName, expiry, s.runLink())
	if _, resp, err := s.c.Issues.CreateComment(ctx, s.o.Owner, s.o.Repo, existing.number, &gh.IssueComment{Body: &comment}); err != nil {
		return nil, github.Classify(ctx, resp, err)
	}
	closed, reason := "closed", "completed"
	if _, resp, err := s.c.Issues.Edit(ctx, s.o.Owner, s.o.Repo, existing.number, &gh.IssueRequest{State: &closed, StateReason: &reason}); err != nil {
		return nil, github.Classify(ctx, resp, err)
	}
	return &gate.Reminder{Name: v.TokenName, Action: "closed", Number: existing.number, URL: existing.url}, nil
}

// headline is the title's claim: what is wrong and when.
func headline(v gate.Verdict) string {
	for _, f := range v.Findings {
		if f.Severity == gate.Error && f.Title == "Token expired or revoked" {
			return v.TokenName + " is expired or revoked"
		}
	}
	if v.HasExpiry() && v.Expiring {
		date := v.ExpiresAt.Format("2006-01-02")
		switch {
		case v.DaysRemaining < 0:
			return fmt.Sprintf("%s expired on %s", v.TokenName, date)
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

func (s syncer) render(v gate.Verdict, h gate.Health) (title, body string) {
	title = headline(v)
	var b strings.Builder
	b.WriteString(markerFor(v.TokenName, h) + "\n")
	fmt.Fprintf(&b, "`%s` is a %s", v.TokenName, v.Kind.Describe())
	if v.Login != "" {
		fmt.Fprintf(&b, " of @%s", v.Login)
	}
	b.WriteString(" that this repository's workflows use.")
	switch {
	case v.HasExpiry() && v.DaysRemaining >= 0:
		fmt.Fprintf(&b, " It expires on **%s** (%d days left).", v.ExpiresAt.Format("2006-01-02 15:04 UTC"), v.DaysRemaining)
	case v.HasExpiry():
		fmt.Fprintf(&b, " It expired on **%s**.", v.ExpiresAt.Format("2006-01-02 15:04 UTC"))
	}
	b.WriteString("\n\n### What the check found\n\n")
	for _, f := range v.Findings {
		if f.Severity == gate.Notice {
			continue
		}
		fmt.Fprintf(&b, "- **%s** (%s): %s\n", f.Title, f.Severity, f.Message)
	}
	b.WriteString("\n### Fix\n\n")
	if v.Kind == token.ClassicPAT || v.Kind == token.Unknown {
		scopes := slices.Clone(s.o.RequiredScopes)
		for _, sc := range v.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		if len(scopes) == 0 {
			scopes = []string{"write:packages"}
		}
		fmt.Fprintf(&b, "1. Regenerate the token at %s, or create a new one with the same scopes: %s\n", s.o.Links.Tokens(), s.o.Links.NewClassicToken(scopes, v.TokenName))
	} else {
		fmt.Fprintf(&b, "1. Issue a new %s.\n", v.Kind.Describe())
	}
	fmt.Fprintf(&b, "2. Update the secret `%s` at %s.\n", v.TokenName, s.o.Links.Secrets())
	b.WriteString("3. Re-run the token check; this issue closes itself once the token passes outside the warning window.\n")
	if len(s.o.Mentions) > 0 {
		b.WriteString("\ncc")
		for _, m := range s.o.Mentions {
			b.WriteString(" @" + m)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n_Kept by token-gate. Last checked %s. %s_\n", s.o.Now.UTC().Format("2006-01-02"), s.runLink())
	return title, b.String()
}

func (s syncer) runLink() string {
	if s.o.RunID == "" || s.o.Links.Repository == "" {
		return ""
	}
	return fmt.Sprintf("[Run %s](%s/%s/actions/runs/%s)", s.o.RunID, s.o.Links.Server, s.o.Links.Repository, s.o.RunID)
}

func (s syncer) refused(what string, err error) gate.Finding {
	msg := fmt.Sprintf("token-gate could not %s: %v. The token verdicts above stand.", what, err)
	var api *github.APIError
	var bad *github.BadCredentialsError
	if errors.As(err, &api) && api.Status == 403 || errors.As(err, &bad) {
		msg += " Give the job `permissions: issues: write` (and keep github-token at its default, ${{ github.token }})."
	}
	return gate.Finding{Severity: gate.Warning, Title: "Reminder issues not updated", Message: msg}
}
