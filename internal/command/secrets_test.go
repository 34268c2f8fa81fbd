package command

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/reminder"
	"github.com/token-gate/token-gate/internal/report"
)

// Every leak issue 13 names, closed. The harness also scans every run of
// every test for every token in every form (scanLeaks); these tests make the
// servers and inputs hostile on purpose.

// TestServerQuotesTheToken: a registry and GitHub that quote the token in
// their error messages; the annotation, summary, outputs and the reminder
// issue must all hold *** instead.
func TestServerQuotesTheToken(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(chartsToken, expiringIn(60))
	e.reg.Accept(chartsToken)
	e.reg.Deny("aibrix/runtime", "denied for "+chartsToken+" ("+url.QueryEscape(chartsToken)+")")
	r := e.runAction(t, map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue", "packages": e.reg.Host + "/aibrix/runtime"})
	if r.Code != ExitFail || len(e.gh.Issues.Open()) != 1 {
		t.Fatalf("exit %d, %d issues", r.Code, len(e.gh.Issues.Open()))
	}
	if !strings.Contains(e.gh.IssueText(), "denied for ***") || !strings.Contains(r.Summary, "denied for ***") {
		t.Errorf("the quoted token is not redacted in the issue or summary:\n%s", e.gh.IssueText())
	}

	// GitHub quoting it in a refusal.
	g := newEnv(t)
	g.gh.SetFault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		fake.Recorded("not-found-404").WithStatus(http.StatusForbidden).Fill("Not Found", "token "+fake.Classic+" is not allowed").Write(w)
		return true
	})
	r = g.runAction(t, map[string]string{"token": fake.Classic})
	if !strings.Contains(r.Messages(), "token *** is not allowed") {
		t.Errorf("GitHub's quote of the token is not redacted:\n%s", r.Messages())
	}
}

// TestEncodedFormsRedacted: a token service that quotes the Basic header it
// received (base64 of user:token), the raw token and its URL-encoded form.
func TestEncodedFormsRedacted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := "ghp_" + strings.Repeat("x", 30) + "+/=ab" // characters URL encoding changes
	e.gh.Add(tok, fake.Account{Login: "x", Scopes: "write:packages"})
	e.reg.SetEcho(true)
	r := e.runAction(t, map[string]string{"token": tok, "packages": e.reg.Host + "/aibrix/runtime"})
	basic := base64.StdEncoding.EncodeToString([]byte("token-gate:" + tok))
	masked := map[string]bool{}
	for _, m := range r.Commands("add-mask") {
		masked[m.Message] = true // as the runner reads it, unescaped
	}
	for _, form := range []string{tok, url.QueryEscape(tok), basic} {
		if !masked[form] {
			t.Errorf("form %.12s… was not masked", form)
		}
	}
	if !strings.Contains(r.Messages(), `received Authorization \"Basic ***\" for *** (***)`) {
		t.Errorf("the echo is not redacted in every form:\n%s", r.Messages())
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(r.Outputs["report"]), &doc); err != nil || len(doc.Tokens) != 1 {
		t.Errorf("report output is not JSON after redaction: %v", err)
	}
}

// TestURLCredentialsNeverQuoted: an api-url with a password is refused, and
// the password appears nowhere.
func TestURLCredentialsNeverQuoted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runAction(t, map[string]string{"token": fake.Classic, "api-url": "https://ci-bot:Hunter2Hunter2@ghe.example.com/api/v3"})
	if r.Code != ExitUsage || strings.Contains(r.All(), "Hunter2") {
		t.Errorf("exit %d; the password must appear nowhere:\n%s", r.Code, r.All())
	}
	if !strings.Contains(r.Messages(), "https://ci-bot:xxxxx@ghe.example.com/api/v3") {
		t.Errorf("the URL is not quoted with its password removed:\n%s", r.Messages())
	}
}

// TestRedactionKeepsStructure: a secret that is a word the report itself
// uses is redacted in values, never in the JSON around them; a value too
// short to be a token is refused before anything is sent.
func TestRedactionKeepsStructure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runAction(t, map[string]string{"token": "repository", "token-name": "WORD_TOKEN"})
	var doc struct {
		Version int              `json:"version"`
		Tokens  []map[string]any `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(r.Outputs["report"]), &doc); err != nil || len(doc.Tokens) != 1 || doc.Version != 1 {
		t.Fatalf("report output broken by redaction: %v\n%s", err, r.Outputs["report"])
	}
	rep := doc.Tokens
	if rep[0]["valid"] != false || rep[0]["name"] != "WORD_TOKEN" || rep[0]["token-type"] != "unknown" {
		t.Errorf("report fields: %v", rep[0])
	}
	if r.Outputs["valid"] != "false" || r.Outputs["token-type"] != "unknown" {
		t.Errorf("outputs: %v", r.Outputs)
	}

	for _, short := range []string{"abc", "true", "repo"} {
		s := newEnv(t)
		r := s.runAction(t, map[string]string{"token": short})
		if r.Code != ExitFail || len(s.gh.Requests()) != 0 || r.Titles("error")[0] != "Malformed token" {
			t.Errorf("%q: exit %d, %d requests, errors %q; want a malformed token and nothing sent", short, r.Code, len(s.gh.Requests()), r.Titles("error"))
		}
		if strings.Contains(r.Stdout, "::add-mask::"+short+"\n") {
			t.Errorf("%q was masked: a short common word would garble the log", short)
		}
		var doc struct{ Tokens []map[string]any }
		if err := json.Unmarshal([]byte(r.Outputs["report"]), &doc); err != nil || len(doc.Tokens) != 1 || doc.Tokens[0]["valid"] != false {
			t.Errorf("%q: report %v %s", short, err, r.Outputs["report"])
		}
	}
}

// TestTokenInTheWrongInput: a token pasted into packages, a flag, or a
// tokens line without a name is quoted by its prefix at most.
func TestTokenInTheWrongInput(t *testing.T) {
	t.Parallel()
	fine := "github_pat_11AAAAAAA0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	e := newEnv(t)
	r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": fine})
	if r.Code != ExitUsage || !strings.Contains(r.Messages(), `"github_pat_…"`) || strings.Contains(r.All(), "11AAAAAAA0") {
		t.Errorf("packages: exit %d\n%s", r.Code, r.All())
	}
	tr := e.run(t, terminalVars(e, map[string]string{"GH_TOKEN": fake.Classic}), []string{"--packages", fine}, "")
	if tr.Code != ExitUsage || !strings.Contains(tr.Stderr, `flag --packages: "github_pat_…"`) || strings.Contains(tr.All(), "11AAAAAAA0") {
		t.Errorf("--packages: exit %d\n%s", tr.Code, tr.Stderr)
	}
	bare := base64.StdEncoding.EncodeToString([]byte("a bare secret of forty bytes, base64ed!")) // ends in ==
	r = e.runAction(t, map[string]string{"tokens": "GOOD_TOKEN=" + fake.Classic + "\n" + bare})
	if r.Code != ExitUsage || strings.Contains(r.All(), strings.TrimRight(bare, "=")[:20]) && !strings.Contains(r.Stdout, "::add-mask::") {
		t.Errorf("a bare secret line: exit %d\n%s", r.Code, r.All())
	}
	if leaks := fake.Leaks(r.All(), bare, strings.TrimRight(bare, "=")); len(leaks) > 0 {
		t.Errorf("the bare secret leaked: %v", leaks)
	}
}

// TestHostileServerText: escape sequences never reach a terminal; images,
// links, raw HTML, entities, bare URLs, www. and @mentions from a server are
// inert in the summary and in issues, while the fixes' own links work.
func TestHostileServerText(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "evil\x1b[2J\x1b]0;pwned\x07", Scopes: "write:packages", Expiry: expiry(now.Add(60 * 24 * time.Hour))})
	e.reg.Accept(fake.Classic)
	// Within the 160 characters of a registry's words that a report keeps.
	hostile := "![x](https://evil.example/p.png) [click](https://evil.example) <img src=x> @octocat &lt;script&gt; &#64;admin WWW.evil.example `code"
	e.reg.Deny("aibrix/runtime", hostile)
	tr := e.run(t, terminalVars(e, map[string]string{"GH_TOKEN": fake.Classic}), []string{"--packages", e.reg.Host + "/aibrix/runtime"}, "")
	if strings.ContainsAny(tr.Stdout+tr.Stderr, "\x1b\x07") {
		t.Errorf("control characters reached the terminal:\n%q", tr.Stdout)
	}
	r := e.runAction(t, map[string]string{"token": fake.Classic, "token-name": "PUSH_TOKEN", "packages": e.reg.Host + "/aibrix/runtime", "reminder": "issue"})
	issues := e.gh.IssueText()
	for where, text := range map[string]string{"summary": r.Summary, "issue": issues} {
		for _, live := range []string{"![x](", "[click](", "<img", "@octocat", "https://evil.example", "WWW.evil", "&lt;script", "&#64;"} {
			if strings.Contains(text, live) {
				t.Errorf("%s holds live markup %q:\n%s", where, live, text)
			}
		}
		for _, inert := range []string{"!\\[x\\](https:\u200b//evil.example/p.png)", "@\u200boctocat", "WWW\u200b.evil.example", "&amp;lt;script&amp;gt;", "&amp;#64;admin"} {
			if !strings.Contains(text, inert) {
				t.Errorf("%s does not show %q inert:\n%s", where, inert, text)
			}
		}
		// The fixes' own links keep their scheme.
		if !strings.Contains(text, "https://github.com/orgs/aibrix/packages/container/runtime/settings") {
			t.Errorf("%s broke the fix's own link:\n%s", where, text)
		}
	}
	// A prefilled link keeps its & (the issue's fix carries one).
	if !strings.Contains(issues, "https://github.com/settings/tokens/new?scopes=write:packages&description=PUSH_TOKEN") {
		t.Errorf("the issue broke the prefilled link:\n%s", issues)
	}
}

// TestGitHubTokenOnlyToItsRegistry: a typo in the registry host is bad input,
// and nothing at all is sent.
func TestGitHubTokenOnlyToItsRegistry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": "ghrc.io/aibrix/runtime"})
	if r.Code != ExitUsage || len(e.gh.Requests())+len(e.reg.Requests()) != 0 {
		t.Errorf("exit %d after %d requests", r.Code, len(e.gh.Requests())+len(e.reg.Requests()))
	}
	for _, s := range []string{"input `packages`", "ghrc.io is not ghcr.io", "ghcr.io/aibrix/runtime"} {
		if !strings.Contains(r.Messages(), s) {
			t.Errorf("error lacks %q:\n%s", s, r.Messages())
		}
	}
}

// TestLargestRun builds the largest run the inputs allow, 50 tokens of 50
// images each, all refused, with reminders, and checks GitHub's limits.
func TestLargestRun(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	var images []string
	for i := range 50 {
		images = append(images, fmt.Sprintf("%s/aibrix/image-%02d", e.reg.Host, i))
		e.reg.Deny(fmt.Sprintf("aibrix/image-%02d", i), "permission_denied: The token provided does not match expected scopes")
	}
	var pairs []string
	for i := range 50 {
		tok := fake.Token("ghp_", fmt.Sprintf("big%02d", i))
		e.gh.Add(tok, fake.Account{Login: "bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(90 * 24 * time.Hour))})
		e.reg.Accept(tok)
		pairs = append(pairs, fmt.Sprintf("BIG_TOKEN_%02d", i), tok)
	}
	e.timeout = 60 * time.Second
	r := e.runAction(t, map[string]string{"tokens": tokenLines(pairs...), "packages": strings.Join(images, "\n"), "reminder": "issue"})
	if r.Code != ExitFail {
		t.Fatalf("exit %d", r.Code)
	}
	if n := len(r.Summary); n > report.MaxSummary || !strings.Contains(r.Summary, "**Cut:**") {
		t.Errorf("summary of %d bytes (limit %d), cut note present: %v", n, report.MaxSummary, strings.Contains(r.Summary, "**Cut:**"))
	}
	for name, v := range r.Outputs {
		if len(v) > report.MaxOutput {
			t.Errorf("output %s is %d bytes (limit %d)", name, len(v), report.MaxOutput)
		}
	}
	var doc report.Document
	err := json.Unmarshal([]byte(r.Outputs["report"]), &doc)
	if rep := doc.Tokens; err != nil || len(rep) != 50 || doc.Cut == "" || rep[0].Cut == "" || len(rep[0].NotPushable) != 50 {
		t.Fatalf("report output: %v, %d entries, cut %q", err, len(rep), doc.Cut)
	}
	if !strings.Contains(r.Stdout, "::group::token-gate: full report") || !strings.Contains(r.Stdout, "::stop-commands::") {
		t.Error("the full report is not in the log")
	}
	issues := e.gh.Issues.Open()
	if len(issues) != 50 {
		t.Errorf("%d issues", len(issues))
	}
	for _, i := range issues {
		if n := len([]rune(i.Body)); n > reminder.MaxBody {
			t.Errorf("issue #%d body of %d characters (limit %d)", i.Number, n, reminder.MaxBody)
		}
	}
	t.Logf("FIGURE largest run: summary %d bytes, report output %d bytes, longest issue body %d characters",
		len(r.Summary), len(r.Outputs["report"]), longestBody(issues))
}

func longestBody(issues []fake.Issue) int {
	n := 0
	for _, i := range issues {
		n = max(n, len([]rune(i.Body)))
	}
	return n
}

// TestBadInputSummaryEscaped: the bad-input summary quotes an input, which
// must not become markup.
func TestBadInputSummaryEscaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runAction(t, map[string]string{"token": fake.Classic, "on-missing": "<img src=x> @octocat [x](https://evil.example)"})
	if r.Code != ExitUsage {
		t.Fatalf("exit %d", r.Code)
	}
	for _, live := range []string{"<img", "@octocat", "[x](https"} {
		if strings.Contains(r.Summary, live) {
			t.Errorf("the bad-input summary holds live %q:\n%s", live, r.Summary)
		}
	}
}
