package command

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
)

// Lifecycles of reminder issues across runs, against a fake issues API that
// keeps its state, lists newest first unless asked, mixes in pull requests
// and refuses "labels": null as GitHub does.

func expiringIn(days int) fake.Account {
	return fake.Account{Login: "charts-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(time.Duration(days)*24*time.Hour + time.Hour))}
}

// TestReminderNamesAcrossRuns: a token-name the marker cannot hold is bad
// input (nothing sent, no issue); names that differ only in case are the same
// secret, as GitHub treats them, so three runs leave one issue.
func TestReminderNamesAcrossRuns(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(chartsToken, expiringIn(9))
	for _, odd := range []string{"ghcr-token", "AIBRIX.TOKEN"} {
		r := e.runAction(t, map[string]string{"token": chartsToken, "token-name": odd, "reminder": "issue"})
		if r.Code != ExitUsage || !strings.Contains(r.Messages(), "input `token-name`") {
			t.Errorf("token-name %q: exit %d\n%s", odd, r.Code, r.Messages())
		}
	}
	for _, name := range []string{"ghcr_token", "GHCR_TOKEN", "Ghcr_Token"} {
		e.runAction(t, map[string]string{"token": chartsToken, "token-name": name, "reminder": "issue"})
	}
	if open := e.gh.Issues.Open(); len(open) != 1 {
		t.Errorf("%d open issues after three runs; want 1: %+v", len(open), open)
	}
}

// TestReminderEmptySecretLeavesIt: a run that received no secret knows
// nothing about the token, whatever on-missing says of the gate.
func TestReminderEmptySecretLeavesIt(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(chartsToken, expiringIn(9))
	with := map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"}
	e.runAction(t, with)
	before := e.gh.Issues.All()
	calls := e.gh.Issues.Calls()

	with["token"] = "" // a fork, Dependabot, a missing environment secret
	r := e.runAction(t, with)
	if r.Code != ExitFail {
		t.Errorf("exit %d; on-missing: fail still fails the gate", r.Code)
	}
	after := e.gh.Issues.Calls()
	if after["edit"] != calls["edit"] || after["comment"] != calls["comment"] || after["create"] != calls["create"] {
		t.Errorf("the empty run wrote to issues: before %v, after %v", calls, after)
	}
	if diff := cmp.Diff(before, e.gh.Issues.All()); diff != "" {
		t.Errorf("the reminder changed (-before +after):\n%s", diff)
	}
}

// TestReminderWithoutLabels: an empty reminder-labels sends no labels field
// (GitHub refuses null with 422), and the listing of every open issue stays
// bounded: a truncated one is reported and opens nothing.
func TestReminderWithoutLabels(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(chartsToken, expiringIn(9))
	with := map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue", "reminder-labels": ""}
	r := e.runAction(t, with)
	if n := len(e.gh.Issues.Open()); n != 1 || len(r.Commands("warning")) != 1 {
		t.Fatalf("%d issues, warnings %q; want 1 issue and the expiry warning\n%s", n, r.Titles("warning"), r.Stdout)
	}
	for _, req := range e.gh.Requests() {
		if req.Method == "POST" && strings.Contains(req.Body, `"labels"`) {
			t.Errorf("create carries labels: %s", req.Body)
		}
	}
	// A second run finds it again without a label.
	e.runAction(t, with)
	if n := len(e.gh.Issues.Open()); n != 1 {
		t.Errorf("%d issues after the second run", n)
	}

	// Past the listing's bound (10 pages), the listing is reported as cut
	// and nothing is opened.
	big := healthEnv(t)
	big.gh.Add(chartsToken, expiringIn(9))
	big.gh.Issues.PerPageCap = 2
	for i := range 25 {
		big.gh.Issues.Seed(fmt.Sprintf("unrelated %d", i), "no marker")
	}
	r = big.runAction(t, with)
	if calls := big.gh.Issues.Calls(); calls["list"] != 10 || calls["create"] != 0 {
		t.Errorf("calls %v; want 10 pages listed and no create", calls)
	}
	if !strings.Contains(r.Messages(), "Reminder issues not all listed") && !strings.Contains(strings.Join(r.Titles("warning"), ","), "Reminder issues not all listed") {
		t.Errorf("the cut listing is not reported:\n%s", r.Stdout)
	}
}

// TestReminderDuplicates: runs at once may each open an issue. The oldest is
// kept, whatever order GitHub lists in, and the others are closed with a
// pointer to it.
func TestReminderDuplicates(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(chartsToken, expiringIn(9))
	marker := "<!-- token-gate: HELM_CHARTS_TOKEN state=expiring -->\nold"
	oldest := e.gh.Issues.Seed("HELM_CHARTS_TOKEN expires in 10 days", marker, "token-expiry")
	e.gh.Issues.SeedPullRequest("a pull request that quotes the marker", marker, "token-expiry")
	second := e.gh.Issues.Seed("HELM_CHARTS_TOKEN expires in 9 days", marker, "token-expiry")
	third := e.gh.Issues.Seed("HELM_CHARTS_TOKEN expires in 9 days", marker, "token-expiry")
	r := e.runAction(t, map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"})
	all := e.gh.Issues.All()
	if all[oldest-1].State != "open" || all[second-1].State != "closed" || all[third-1].State != "closed" {
		t.Fatalf("states: oldest %s, second %s, third %s", all[oldest-1].State, all[second-1].State, all[third-1].State)
	}
	for _, n := range []int{second, third} {
		if c := all[n-1].Comments; len(c) != 1 || !strings.Contains(c[0], fmt.Sprintf("duplicate of #%d", oldest)) || all[n-1].StateReason != "not_planned" {
			t.Errorf("issue #%d: comments %q, reason %q", n, c, all[n-1].StateReason)
		}
	}
	if all[1].State != "open" {
		t.Error("the pull request was touched")
	}
	if !strings.Contains(e.gh.Requests()[1].Query, "direction=asc") {
		t.Errorf("the listing does not ask for oldest first: %s", e.gh.Requests()[1].Query)
	}
	if !strings.Contains(r.Outputs["reminders"], `"action":"closed-duplicate"`) {
		t.Errorf("reminders output: %s", r.Outputs["reminders"])
	}
}

// TestReminderNoNeedlessWrites: an unchanged verdict writes nothing; a
// changed day count edits once.
func TestReminderNoNeedlessWrites(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(chartsToken, expiringIn(9))
	with := map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"}
	e.runAction(t, with)
	first := e.gh.Issues.Calls()
	e.contexts["github.run_id"] = "4243" // every run has its own id and link
	e.runAction(t, with)
	second := e.gh.Issues.Calls()
	if second["create"]+second["edit"]+second["comment"] != first["create"]+first["edit"]+first["comment"] {
		t.Errorf("an unchanged verdict wrote: %v then %v", first, second)
	}
	e.gh.Add(chartsToken, expiringIn(8)) // a day later
	e.runAction(t, with)
	if third := e.gh.Issues.Calls(); third["edit"] != second["edit"]+1 || third["comment"] != second["comment"] {
		t.Errorf("a changed day count: %v then %v; want one edit and no comment", second, third)
	}
	if title := e.gh.Issues.Open()[0].Title; title != "HELM_CHARTS_TOKEN expires in 8 days (2026-12-03)" {
		t.Errorf("title %q", title)
	}
}

// TestReminderPacing: writes are at least the pace apart, and a write that
// would run past the run's bound is skipped with a warning; the verdicts
// stand.
func TestReminderPacing(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.pace = 150 * time.Millisecond
	var pairs []string
	for i := range 3 {
		tok := fake.Token("ghp_", fmt.Sprintf("p%d", i))
		e.gh.Add(tok, expiringIn(5))
		pairs = append(pairs, fmt.Sprintf("PACED_%d", i), tok)
	}
	with := map[string]string{"tokens": tokenLines(pairs...), "reminder": "issue"}
	e.runAction(t, with)
	m := e.gh.Issues.Mutations()
	if len(m) != 3 {
		t.Fatalf("%d writes, want 3", len(m))
	}
	for i := 1; i < len(m); i++ {
		if gap := m[i].Sub(m[i-1]); gap < e.pace {
			t.Errorf("writes %d and %d were %s apart; want at least %s", i, i+1, gap, e.pace)
		}
	}

	short := healthEnv(t)
	short.pace = 400 * time.Millisecond
	short.timeout = 700 * time.Millisecond
	for i := range 3 {
		short.gh.Add(fake.Token("ghp_", fmt.Sprintf("p%d", i)), expiringIn(5))
	}
	r := short.runAction(t, with)
	if n := short.gh.Issues.Calls()["create"]; n >= 3 {
		t.Errorf("%d creates inside a 700 ms bound with 400 ms between writes", n)
	}
	if r.Code != ExitPass || !strings.Contains(r.Messages(), "time bound") {
		t.Errorf("exit %d; want a pass and a warning about the time bound\n%s", r.Code, r.Stdout)
	}
}

// TestReminderAPIAnswers: each refusal becomes one warning that says what to
// do, never a change of verdict, and a create is never sent twice.
func TestReminderAPIAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind, answer, says string
	}{
		{"*", "issues-repo-not-found-404", "enable Issues"},
		{"*", "issues-disabled-410", "Issues are disabled for this repo"},
		{"*", "issues-not-accessible-403", "`permissions: issues: write`"},
		{"create", "issues-secondary-rate-limit-403", "next run catches up"},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			t.Parallel()
			e := healthEnv(t)
			e.gh.Add(chartsToken, expiringIn(5))
			e.gh.Issues.Fail(tc.kind, tc.answer)
			r := e.runAction(t, map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"})
			if r.Code != ExitPass || r.Outputs["valid"] != "true" {
				t.Errorf("exit %d valid %q: the issues API changed the verdict", r.Code, r.Outputs["valid"])
			}
			if diff := cmp.Diff([]string{"Token expires soon", "Reminder issues not updated"}, r.Titles("warning")); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if !strings.Contains(r.Messages(), tc.says) {
				t.Errorf("the warning does not say %q:\n%s", tc.says, r.Messages())
			}
			if n := e.gh.Issues.Calls()["create"]; n > 1 {
				t.Errorf("the create was sent %d times", n)
			}
		})
	}
}

// TestReminderWeeklyFigure counts the issues API calls of the weekly example
// in docs/token-health.md: 4 tokens, 1 expiring, a first run and an
// unchanged second run.
func TestReminderWeeklyFigure(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	names := []string{"AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN", "DOCS_DEPLOY_TOKEN", "HELM_CHARTS_TOKEN", "RELEASE_TOKEN"}
	var pairs []string
	for i, name := range names {
		tok := fake.Token("ghp_", fmt.Sprintf("w%d", i))
		acct := fake.Account{Login: "bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(90 * 24 * time.Hour))}
		if name == "HELM_CHARTS_TOKEN" {
			acct = expiringIn(9)
		}
		e.gh.Add(tok, acct)
		pairs = append(pairs, name, tok)
	}
	with := map[string]string{"required-scopes": "", "warn-within-days": "21", "tokens": tokenLines(pairs...), "reminder": "issue", "reminder-mentions": "aibrix-maintainer"}
	count := func() int {
		n := 0
		for _, v := range e.gh.Issues.Calls() {
			n += v
		}
		return n
	}
	e.runAction(t, with)
	first := count()
	e.contexts["github.run_id"] = "4300"
	e.runAction(t, with)
	second := count() - first
	if first != 2 || second != 1 {
		t.Errorf("issue API calls: first run %d, second run %d; want 2 (list, create) and 1 (list)", first, second)
	}
	t.Logf("FIGURE weekly example, 4 tokens (1 expiring): %d issue API calls on the first run, %d on an unchanged second run", first, second)
}

// TestReminderUnknownLeavesIt: an answer that was not GitHub's (a captive
// portal) or a rate limit says nothing about the token, so an open reminder
// keeps what it said.
func TestReminderUnknownLeavesIt(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"portal", "rate limit"} {
		e := healthEnv(t)
		e.gh.Add(chartsToken, expiringIn(9))
		with := map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"}
		e.runAction(t, with)
		before := e.gh.Issues.All()
		limited := fake.PrimaryRateLimit(http.StatusForbidden, now.Add(time.Hour))
		e.gh.SetFault(func(w http.ResponseWriter, r *http.Request, attempt int) bool {
			if r.URL.Path != "/api/v3/user" {
				return false
			}
			if mode == "portal" {
				fake.Recorded("captive-portal-200").Write(w)
				return true
			}
			return limited(w, r, attempt)
		})
		r := e.runAction(t, with)
		if r.Code != ExitFail {
			t.Errorf("%s: exit %d", mode, r.Code)
		}
		if diff := cmp.Diff(before, e.gh.Issues.All()); diff != "" {
			t.Errorf("%s changed the reminder (-before +after):\n%s", mode, diff)
		}
	}
}
