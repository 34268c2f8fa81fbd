package command

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/report"
)

// healthEnv is a fake GitHub whose issues API accepts only the workflow's
// github-token, as GitHub does.
func healthEnv(t *testing.T) *env {
	e := newEnv(t)
	githubToken := e.contexts["github.token"]
	e.gh.Add(githubToken, fake.Account{NoScopes: true, Installation: true})
	e.gh.Issues.Token = githubToken
	return e
}

func tokenLines(pairs ...string) string {
	var b strings.Builder
	for i := 0; i < len(pairs); i += 2 {
		fmt.Fprintf(&b, "%s=%s\n", pairs[i], pairs[i+1])
	}
	return b.String()
}

var (
	docsToken    = fake.Token("ghp_", "docs")
	chartsToken  = fake.Token("ghp_", "charts")
	releaseToken = fake.Token("ghp_", "release")
)

func healthWith(e *env, extra map[string]string) map[string]string {
	with := map[string]string{
		"tokens": "# tokens of the aibrix org\n" + tokenLines(
			"DOCS_DEPLOY_TOKEN", docsToken,
			"HELM_CHARTS_TOKEN", chartsToken,
			"RELEASE_TOKEN", releaseToken,
		) + "\n",
		"reminder":          "issue",
		"reminder-mentions": "aibrix-maintainer, @octocat",
	}
	for k, v := range extra {
		with[k] = v
	}
	return with
}

func allIssueText(e *env) string {
	var b strings.Builder
	for _, i := range e.gh.Issues.All() {
		b.WriteString(i.Title + "\n" + i.Body + "\n" + strings.Join(i.Comments, "\n") + "\n")
	}
	return b.String()
}

func secretsOf(e *env) []string {
	return []string{docsToken, chartsToken, releaseToken, fake.Classic, e.contexts["github.token"]}
}

// TestReminderLifecycle follows one set of tokens through four runs: the
// first opens one issue per failing or expiring token, the second changes
// nothing but edits in place, a verdict change comments once, and a rotation
// closes the issue.
func TestReminderLifecycle(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(docsToken, fake.Account{Login: "docs-bot", Scopes: "repo", Expiry: expiry(now.Add(90 * 24 * time.Hour))})
	e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(9*24*time.Hour + time.Hour))})
	// RELEASE_TOKEN is unknown to the fake: a 401.
	with := healthWith(e, map[string]string{"required-scopes": "repo"})

	// Run 1: two reminders opened.
	r := e.runAction(t, with)
	if r.Code != ExitFail {
		t.Errorf("run 1 exit %d, want %d (RELEASE_TOKEN is revoked)", r.Code, ExitFail)
	}
	issues := e.gh.Issues.All()
	titles := []string{}
	for _, i := range issues {
		titles = append(titles, i.Title)
	}
	wantTitles := []string{"HELM_CHARTS_TOKEN expires in 9 days (2026-12-04)", "RELEASE_TOKEN is expired or revoked"}
	if diff := cmp.Diff(wantTitles, titles); diff != "" {
		t.Fatalf("issues after run 1 (-want +got):\n%s", diff)
	}
	charts := issues[0]
	for _, want := range []string{
		"<!-- token-gate: HELM_CHARTS_TOKEN state=expiring -->",
		"of @\u200bcharts-bot", "2026-12-04 13:00 UTC", "(9 days left)",
		"https://github.com/settings/tokens/new?scopes=repo,write:packages&description=HELM_CHARTS_TOKEN",
		"https://github.com/aibrix/aibrix/settings/secrets/actions", "https://github.com/organizations/aibrix/settings/secrets/actions",
		"cc @aibrix-maintainer @octocat", "[Run 4242](https://github.com/aibrix/aibrix/actions/runs/4242)",
	} {
		if !strings.Contains(charts.Body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, charts.Body)
		}
	}
	if diff := cmp.Diff([]string{"token-expiry"}, charts.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	var reminders []gate.Reminder
	if err := json.Unmarshal([]byte(r.Outputs["reminders"]), &reminders); err != nil {
		t.Fatalf("reminders output: %v: %q", err, r.Outputs["reminders"])
	}
	if diff := cmp.Diff([]gate.Reminder{
		{Name: "HELM_CHARTS_TOKEN", Action: "opened", Number: 1, URL: "https://github.com/aibrix/aibrix/issues/1"},
		{Name: "RELEASE_TOKEN", Action: "opened", Number: 2, URL: "https://github.com/aibrix/aibrix/issues/2"},
	}, reminders); diff != "" {
		t.Errorf("reminders output (-want +got):\n%s", diff)
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(r.Outputs["report"]), &doc); err != nil || len(doc.Tokens) != 3 || doc.Version != 1 {
		t.Fatalf("report output: %v, %d entries, version %d", err, len(doc.Tokens), doc.Version)
	}
	rep := doc.Tokens
	if rep[0].Name != "DOCS_DEPLOY_TOKEN" || !rep[0].Valid || rep[2].Valid || rep[2].Problems[0] == "" {
		t.Errorf("report: %+v", rep)
	}
	if r.Outputs["valid"] != "false" || r.Outputs["login"] != "docs-bot" {
		t.Errorf("valid=%q login=%q; want false (one token fails) and the first entry's login", r.Outputs["valid"], r.Outputs["login"])
	}

	// Run 2, same facts: nothing opened, edits in place, no comment.
	before := e.gh.Issues.Calls()
	e.runAction(t, with)
	after := e.gh.Issues.Calls()
	if after["create"] != before["create"] || after["comment"] != before["comment"] {
		t.Errorf("run 2 created %d issues and %d comments; want none", after["create"]-before["create"], after["comment"]-before["comment"])
	}
	if after["list"]-before["list"] != 1 {
		t.Errorf("run 2 listed issues %d times; want once per run", after["list"]-before["list"])
	}
	if n := len(e.gh.Issues.All()); n != 2 {
		t.Errorf("%d issues after run 2, want 2", n)
	}

	// Run 3: HELM_CHARTS_TOKEN's days left cross below fail-within-days.
	with3 := healthWith(e, map[string]string{"required-scopes": "repo", "fail-within-days": "10"})
	e.runAction(t, with3)
	e.runAction(t, with3) // and again: the change is commented on once
	charts = e.gh.Issues.All()[0]
	if len(charts.Comments) != 1 || !strings.Contains(charts.Comments[0], "from **expiring** to **failed**") {
		t.Errorf("comments after the verdict change: %q; want one", charts.Comments)
	}
	if !strings.Contains(charts.Body, "state=failed") {
		t.Errorf("marker not updated:\n%s", charts.Body)
	}

	// Run 4: HELM_CHARTS_TOKEN is rotated; its reminder closes with the new
	// expiry.
	e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(90 * 24 * time.Hour))})
	r = e.runAction(t, with)
	charts = e.gh.Issues.All()[0]
	if charts.State != "closed" || !strings.Contains(charts.Comments[len(charts.Comments)-1], "it now expires on 2027-02-23 (90 days left)") {
		t.Errorf("after rotation: state %q, comments %q", charts.State, charts.Comments)
	}
	if !strings.Contains(r.Outputs["reminders"], `{"name":"HELM_CHARTS_TOKEN","action":"closed","number":1`) {
		t.Errorf("reminders output: %s", r.Outputs["reminders"])
	}
	if leaks := fake.Leaks(allIssueText(e), secretsOf(e)...); len(leaks) > 0 {
		t.Errorf("secrets in issues: %v", leaks)
	}
	assertNoLeak(t, r, secretsOf(e)...)
}

// TestReminderPagination checks that a reminder on a later page is found, so
// no duplicate is opened, with one listing per run.
func TestReminderPagination(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Issues.PerPageCap = 2
	for i := range 5 {
		e.gh.Issues.Seed(fmt.Sprintf("unrelated %d", i), "no marker", "token-expiry")
	}
	n := e.gh.Issues.Seed("old title", "<!-- token-gate: RELEASE_TOKEN state=failed -->\nold body", "token-expiry")
	r := e.runAction(t, healthWith(e, map[string]string{"tokens": tokenLines("RELEASE_TOKEN", releaseToken)}))
	if r.Code != ExitFail {
		t.Errorf("exit %d", r.Code)
	}
	calls := e.gh.Issues.Calls()
	if calls["create"] != 0 {
		t.Errorf("created %d issues; the reminder on page 3 should have been found", calls["create"])
	}
	if calls["list"] != 3 {
		t.Errorf("%d list requests; want the 3 pages, once", calls["list"])
	}
	if got := e.gh.Issues.All()[n-1].Title; got != "RELEASE_TOKEN is expired or revoked" {
		t.Errorf("existing reminder title = %q", got)
	}
}

// TestReminderForbidden checks that an issues API that refuses becomes a
// warning naming the permission, and the token verdicts stay as they were.
func TestReminderForbidden(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Issues.Fail("*", "issues-not-accessible-403")
	e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", Scopes: "write:packages", Expiry: expiry(now.Add(5 * 24 * time.Hour))})
	r := e.runAction(t, healthWith(e, map[string]string{"tokens": tokenLines("HELM_CHARTS_TOKEN", chartsToken)}))
	if r.Code != ExitPass {
		t.Errorf("exit %d; the token passes with a warning, and the issues API must not change that", r.Code)
	}
	if diff := cmp.Diff([]string{"Token expires soon", "Reminder issues not updated"}, r.Titles("warning")); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.Messages(), "`permissions: issues: write`") || !strings.Contains(r.Messages(), "Resource not accessible by integration") {
		t.Errorf("warning does not say what to grant:\n%s", r.Messages())
	}
	if r.Outputs["valid"] != "true" || r.Outputs["reminders"] != "[]" {
		t.Errorf("valid=%q reminders=%q", r.Outputs["valid"], r.Outputs["reminders"])
	}
}

// TestManyTokens checks the inventory, the annotation cap, per-entry
// on-missing and concurrency with a delaying fake.
func TestManyTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.SetDelay(200 * time.Millisecond)
	var pairs []string
	var secrets []string
	for i := range 12 {
		name := fmt.Sprintf("TOKEN_%02d", i)
		tok := fake.Token("ghp_", fmt.Sprintf("t%02d", i))
		secrets = append(secrets, tok)
		pairs = append(pairs, name, tok)
		if i%3 != 0 { // every third token is revoked
			e.gh.Add(tok, fake.Account{Login: "bot", Scopes: "write:packages", Expiry: expiry(now.Add(time.Duration(100-i) * 24 * time.Hour))})
		}
	}
	pairs = append(pairs, "EMPTY_TOKEN", "")
	start := time.Now()
	r := e.runAction(t, map[string]string{"tokens": tokenLines(pairs...), "on-missing": "warn"})
	took := time.Since(start)
	// Concurrency, not wall time, is asserted: a loaded machine under -race
	// must not make this flake.
	if m := e.gh.MaxInFlight(); m < 2 || m > 4 {
		t.Errorf("at most %d checks were in flight at once; want between 2 and the bound of 4", m)
	}
	t.Logf("12 tokens, 200 ms per answer: %s", took)
	if r.Code != ExitFail {
		t.Errorf("exit %d", r.Code)
	}
	if n := len(e.gh.Requests()); n != 12 {
		t.Errorf("%d requests for 12 tokens and one empty; want 12", n)
	}
	// Four revoked tokens: four error annotations. The empty one warns.
	if got := len(r.Titles("error")); got != 4 {
		t.Errorf("%d errors: %q", got, r.Titles("error"))
	}
	if diff := cmp.Diff([]string{"EMPTY_TOKEN: Token is empty"}, r.Titles("warning")); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The inventory: one row per token, failures first, then by days left,
	// then those with no expiry.
	rows := []string{}
	for _, line := range strings.Split(r.Summary, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows = append(rows, strings.Split(line, "`")[1])
		}
	}
	want := []string{"TOKEN_00", "TOKEN_03", "TOKEN_06", "TOKEN_09", "TOKEN_11", "TOKEN_10", "TOKEN_08", "TOKEN_07", "TOKEN_05", "TOKEN_04", "TOKEN_02", "TOKEN_01", "EMPTY_TOKEN"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("inventory rows (-want +got):\n%s\n%s", diff, r.Summary)
	}
	assertNoLeak(t, r, secrets...)
	for _, s := range secrets {
		if !strings.Contains(r.Stdout, "::add-mask::"+s+"\n") {
			t.Errorf("token %.8s… from tokens is not masked", s)
		}
	}
}

// TestAnnotationCap checks the runner's limit of 10 errors per step:
// twelve failing tokens give ten error annotations and one notice that
// counts the other two, since the runner would drop them without a word.
func TestAnnotationCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var pairs []string
	for i := range 12 {
		pairs = append(pairs, fmt.Sprintf("REVOKED_%02d", i), fake.Token("ghp_", fmt.Sprintf("r%02d", i)))
	}
	r := e.runAction(t, map[string]string{"tokens": tokenLines(pairs...)})
	if errs := r.Titles("error"); len(errs) != 10 || errs[9] != "REVOKED_09: Token expired or revoked" {
		t.Errorf("errors: %q; want the first ten tokens'", errs)
	}
	var more []string
	for _, c := range r.Commands("notice") {
		if strings.HasPrefix(c.Message, "2 more errors: see the job summary") {
			more = append(more, c.Message)
		}
	}
	if len(more) != 1 {
		t.Errorf("no single notice counts the two errors left out:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Summary, "REVOKED_11: Token expired or revoked") {
		t.Error("the summary must list every problem")
	}
}

// TestTokensInput checks the bad-input rules of the tokens input.
func TestTokensInput(t *testing.T) {
	t.Parallel()
	fifty := make([]string, 0, 102)
	for i := range 51 {
		fifty = append(fifty, fmt.Sprintf("T%02d", i), fake.Token("ghp_", fmt.Sprintf("n%02d", i)))
	}
	tests := []struct {
		name   string
		tokens string
		want   string
	}{
		{"51 tokens", tokenLines(fifty...), "more than 50 tokens"},
		{"duplicate name", tokenLines("A", docsToken, "A", chartsToken), `line 2: "A" appears twice`},
		{"line without =", "A=" + docsToken + "\n" + chartsToken + "\n", "line 2 has no '='"},
		// A line that is not NAME=VALUE with a secret name may be a bare
		// secret: it is refused without being quoted (issue 13, item 6).
		{"invalid secret name", tokenLines("1ST_TOKEN", docsToken), "line 1 is not NAME=VALUE with a secret name"},
		{"name with a hyphen", tokenLines("MY-TOKEN", docsToken), "line 1 is not NAME=VALUE with a secret name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r := e.runAction(t, map[string]string{"tokens": tc.tokens})
			if r.Code != ExitUsage || len(e.gh.Requests()) != 0 {
				t.Errorf("exit %d after %d requests; want %d and none", r.Code, len(e.gh.Requests()), ExitUsage)
			}
			if !strings.Contains(r.Messages(), tc.want) || !strings.Contains(r.Messages(), "input `tokens`") {
				t.Errorf("error lacks %q:\n%s", tc.want, r.Messages())
			}
			assertNoLeak(t, r, docsToken, chartsToken)
		})
	}
	// Fifty is allowed.
	e := newEnv(t)
	r := e.runAction(t, map[string]string{"tokens": tokenLines(fifty[:100]...)})
	if r.Code == ExitUsage {
		t.Errorf("50 tokens refused: %s", r.Messages())
	}
	if n := len(e.gh.Requests()); n != 50 {
		t.Errorf("%d requests for 50 tokens", n)
	}
}

// TestHealthRun measures a 10-token run with reminders against a fake that
// delays every answer by 200 ms, and counts its requests.
func TestHealthRun(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.SetDelay(200 * time.Millisecond)
	var pairs []string
	for i := range 10 {
		tok := fake.Token("ghp_", fmt.Sprintf("h%02d", i))
		pairs = append(pairs, fmt.Sprintf("TOKEN_%02d", i), tok)
		days := 60
		if i < 3 {
			days = 5 // three expire soon and get reminders
		}
		e.gh.Add(tok, fake.Account{Login: "bot", Scopes: "write:packages", Expiry: expiry(now.Add(time.Duration(days) * 24 * time.Hour))})
	}
	start := time.Now()
	r := e.runAction(t, map[string]string{"tokens": tokenLines(pairs...), "reminder": "issue"})
	took := time.Since(start)
	if r.Code != ExitPass {
		t.Errorf("exit %d\n%s", r.Code, r.Stdout)
	}
	count := map[string]int{}
	for _, p := range paths(e.gh.Requests()) {
		count[p]++
	}
	want := map[string]int{"GET /api/v3/user": 10, "GET /api/v3/repos/aibrix/aibrix/issues": 1, "POST /api/v3/repos/aibrix/aibrix/issues": 3}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	t.Logf("FIGURE 10 tokens with reminders: %d requests, %s against a 200 ms fake", len(e.gh.Requests()), took)
}
