package command

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/reminder"
)

// Trust, round two: the items that are about what a run decides and
// writes, each against the fakes (every byte scanned for every secret).

// TestNamesBounded: a name longer than 100 characters is bad input in
// token-name and in tokens, so no title can pass GitHub's 256.
func TestNamesBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := "A" + strings.Repeat("B", 299)
	for _, with := range []map[string]string{
		{"token": fake.Classic, "token-name": long},
		{"tokens": long + "=" + fake.Classic},
	} {
		r := e.runAction(t, with)
		if r.Code != ExitUsage || !strings.Contains(r.Messages(), "300 characters long, more than 100") || len(e.gh.Requests()) != 0 {
			t.Errorf("a 300-character name: exit %d, %d requests\n%s", r.Code, len(e.gh.Requests()), r.Messages())
		}
	}
}

// TestTitlesCut: whatever the finding, a reminder's title stays within
// GitHub's 256 characters.
func TestTitlesCut(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "write:packages"})
	e.reg.Accept(fake.Classic)
	long := strings.Repeat("n", 240)
	e.reg.Deny("aibrix/"+long, "permission_denied: write_package")
	name := strings.Repeat("T", 100)
	r := e.runAction(t, map[string]string{"token": fake.Classic, "token-name": name, "packages": e.reg.Host + "/aibrix/" + long, "reminder": "issue"})
	open := e.gh.Issues.Open()
	if r.Code != ExitFail || len(open) != 1 {
		t.Fatalf("exit %d, %d issues", r.Code, len(open))
	}
	if n := utf8.RuneCountInString(open[0].Title); n > reminder.MaxTitle {
		t.Errorf("title of %d characters: %q", n, open[0].Title)
	}
}

// TestIssuedWordNotMasked: a registry that issues an ordinary word as its
// token does not turn the scopes output into repo,***.
func TestIssuedWordNotMasked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages"})
	e.reg.Accept(fake.Classic)
	e.reg.SetIssuedToken("write:packages")
	r := e.runAction(t, map[string]string{"token": fake.Classic, "required-scopes": "repo, write:packages", "packages": e.reg.Host + "/aibrix/runtime"})
	if got := r.Outputs["scopes"]; got != "repo,write:packages" {
		t.Errorf("scopes output %q, want repo,write:packages", got)
	}
	if strings.Contains(r.Stdout, "::add-mask::write:packages") {
		t.Error("the word was masked")
	}
}

// TestIssueLinkFromTheServer: an html_url that is not the issue's own page
// never reaches the summary or the outputs; the page is named by number.
func TestIssueLinkFromTheServer(t *testing.T) {
	t.Parallel()
	for _, hostile := range []string{"javascript:alert(1)", "https://evil.example/aibrix/aibrix/issues/1", "https://github.com/aibrix/aibrix/issues/1)(x", "http://github.com/aibrix/aibrix/issues/1"} {
		e := healthEnv(t)
		e.gh.Issues.HTMLURL = func(int) string { return hostile }
		e.gh.Add(chartsToken, expiringIn(9))
		r := e.runAction(t, map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"})
		if strings.Contains(r.All(), hostile) {
			t.Errorf("%q reached what the run wrote", hostile)
		}
		if !strings.Contains(r.Summary, "[#1](https://github.com/aibrix/aibrix/issues/1)") || !strings.Contains(r.Outputs["reminders"], `"url":"https://github.com/aibrix/aibrix/issues/1"`) {
			t.Errorf("%q: the issue's own page is not linked:\n%s\n%s", hostile, r.Summary, r.Outputs["reminders"])
		}
	}
}

// TestAnonymousChallengeBlamesNoToken: before any credential is sent, a
// proxy's 403 page, or a 401 without a usable challenge, is an unexpected
// answer: no "credentials refused", no "cannot push", no reminder.
func TestAnonymousChallengeBlamesNoToken(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]fake.Answer{
		"a proxy's 403 page":            fake.Recorded("proxy-forbidden-403"),
		"a 401 with no challenge":       fake.Recorded("registry-challenge-401").Without("WWW-Authenticate"),
		"a 401 with an unreadable one":  fake.Recorded("registry-challenge-401").With("WWW-Authenticate", `Bearer realm="unterminated`),
		"a 404 where /v2/ should be":    fake.Recorded("not-found-404"),
		"a 401 asking for another auth": fake.Recorded("registry-challenge-401").With("WWW-Authenticate", `Negotiate`),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := healthEnv(t)
			e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "write:packages"})
			e.reg.Accept(fake.Classic)
			e.reg.SetChallenge(answer)
			r := e.runAction(t, map[string]string{"token": fake.Classic, "token-name": "PUSH_TOKEN", "packages": e.reg.Host + "/aibrix/runtime", "reminder": "issue"})
			if r.Code != ExitFail || strings.Join(r.Titles("error"), ",") != "Push rights not proven" {
				t.Errorf("exit %d, errors %q", r.Code, r.Titles("error"))
			}
			if m := r.Messages(); strings.Contains(m, "expired or revoked") || strings.Contains(m, "Cannot push") {
				t.Errorf("the token is blamed:\n%s", m)
			}
			if r.Outputs["not-pushable"] != "" || len(e.gh.Issues.All()) != 0 {
				t.Errorf("not-pushable %q, %d issues", r.Outputs["not-pushable"], len(e.gh.Issues.All()))
			}
			for _, req := range e.reg.Requests() {
				if req.Auth != "" {
					t.Errorf("a credential was sent after the challenge failed: %s %s", req.Method, req.Path)
				}
			}
		})
	}
}

// TestRegistryWithoutChallenge: a registry whose /v2/ asks no credentials
// gets them on the upload as Basic; a challenge there is followed; a bare
// refusal is "push rights not proven", never a bad token.
func TestRegistryWithoutChallenge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		open     fake.OpenUpload
		code     int
		errors   string
		pushable bool
	}{
		{"open to all: pushable", fake.OpenToAll, ExitPass, "", true},
		{"a challenge on the upload is followed", fake.OpenChallenges, ExitPass, "", true},
		{"a bare 401 on the upload proves nothing", fake.OpenRefusesBare, ExitFail, "Push rights not proven", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "write:packages"})
			e.reg.Accept(fake.Classic)
			e.reg.SetOpen(tc.open)
			r := e.runAction(t, map[string]string{"token": fake.Classic, "packages": e.reg.Host + "/aibrix/runtime"})
			if r.Code != tc.code || strings.Join(r.Titles("error"), ",") != tc.errors || (r.Outputs["pushable"] != "") != tc.pushable {
				t.Errorf("exit %d, errors %q, pushable %q", r.Code, r.Titles("error"), r.Outputs["pushable"])
			}
			if tc.open == fake.OpenRefusesBare && !strings.Contains(r.Messages(), "the registry asked for no credentials at /v2/") {
				t.Errorf("the refusal is not explained:\n%s", r.Messages())
			}
			uploads := 0
			for _, req := range e.reg.Requests() {
				if req.Method == "POST" && req.Auth == "" {
					t.Error("an upload went without credentials")
				}
				if req.Method == "POST" {
					uploads++
				}
			}
			if uploads == 0 {
				t.Error("no upload was tried")
			}
		})
	}
}

// TestRemindersOnlyOnProof: a token whose check proved nothing (not sent,
// scopes stripped by a proxy, push rights not proven) opens no reminder,
// though the gate fails.
func TestRemindersOnlyOnProof(t *testing.T) {
	t.Parallel()
	for name, setup := range map[string]func(e *env) map[string]string{
		"scopes-header-missing": func(e *env) map[string]string {
			e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", NoScopes: true})
			return map[string]string{}
		},
		"push-not-proven": func(e *env) map[string]string {
			e.gh.Add(chartsToken, expiringIn(60))
			e.reg.SetChallenge(fake.Recorded("proxy-forbidden-403"))
			return map[string]string{"packages": e.reg.Host + "/aibrix/runtime"}
		},
		"not-sent": func(e *env) map[string]string {
			e.gh.Add(chartsToken, expiringIn(60))
			thief := fake.NewRegistry(t)
			e.reg.SetRealm("http://" + thief.Host + "/token")
			return map[string]string{"packages": e.reg.Host + "/aibrix/runtime"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := healthEnv(t)
			with := setup(e)
			with["token"], with["token-name"], with["reminder"] = chartsToken, "HELM_CHARTS_TOKEN", "issue"
			r := e.runAction(t, with)
			if r.Code != ExitFail {
				t.Errorf("exit %d; the gate still fails", r.Code)
			}
			if n := len(e.gh.Issues.All()); n != 0 {
				t.Errorf("%d reminder issues opened on a check that proved nothing:\n%s", n, e.gh.IssueText())
			}
		})
	}
}

// TestClosingComments say what is known of the expiry: a date, never, or
// that it cannot be seen; never "it does not expire" when it is not known.
func TestClosingComments(t *testing.T) {
	t.Parallel()
	seed := func(e *env, name string) {
		e.gh.Issues.Seed(name+" fails its check", "<!-- token-gate: "+name+" state=failed -->", "token-expiry")
	}
	t.Run("an unreadable expiry header", func(t *testing.T) {
		t.Parallel()
		e := healthEnv(t)
		e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", Scopes: "repo, write:packages", Expiry: "next tuesday"})
		seed(e, "HELM_CHARTS_TOKEN")
		e.runAction(t, map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"})
		closed := e.gh.Issues.All()[0]
		if closed.State != "closed" || len(closed.Comments) != 1 || strings.Contains(closed.Comments[0], "does not expire") ||
			!strings.Contains(closed.Comments[0], "its expiry could not be read") {
			t.Errorf("closing comment: %+v", closed)
		}
	})
	t.Run("a registry credential, whose expiry no token can read", func(t *testing.T) {
		t.Parallel()
		e := healthEnv(t)
		const pat = "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"
		e.reg.AcceptUser("dockerhub-user", pat)
		seed(e, "REGISTRY_TOKEN")
		e.runAction(t, map[string]string{"token": pat, "token-name": "REGISTRY_TOKEN", "registry": e.reg.Host, "username": "dockerhub-user", "reminder": "issue"})
		closed := e.gh.Issues.All()[0]
		if closed.State != "closed" || len(closed.Comments) != 1 || strings.Contains(closed.Comments[0], "does not expire") ||
			!strings.Contains(closed.Comments[0], "its expiry is not visible") {
			t.Errorf("closing comment: %+v", closed)
		}
	})
	t.Run("a token that never expires", func(t *testing.T) {
		t.Parallel()
		e := healthEnv(t)
		e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", Scopes: "repo, write:packages"})
		seed(e, "HELM_CHARTS_TOKEN")
		e.runAction(t, map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"})
		if c := e.gh.Issues.All()[0].Comments; len(c) != 1 || !strings.Contains(c[0], "passes again and it does not expire") {
			t.Errorf("closing comment: %q", c)
		}
	})
}

// TestExpiresNowReminder: a 200 with an expiry 43 s past is a warning that
// the token expires now, and its reminder says so; never "expired".
func TestExpiresNowReminder(t *testing.T) {
	t.Parallel()
	e := healthEnv(t)
	e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(-43 * time.Second))})
	r := e.runAction(t, map[string]string{"token": chartsToken, "token-name": "HELM_CHARTS_TOKEN", "reminder": "issue"})
	if r.Code != ExitPass || strings.Join(r.Titles("warning"), ",") != "Token expires now" {
		t.Errorf("exit %d, warnings %q", r.Code, r.Titles("warning"))
	}
	open := e.gh.Issues.Open()
	if len(open) != 1 || !strings.HasPrefix(open[0].Title, "HELM_CHARTS_TOKEN expires now (") || strings.Contains(e.gh.IssueText(), "expired") {
		t.Errorf("reminder: %+v", open)
	}
	if r.Outputs["days-remaining"] != "0" {
		t.Errorf("days-remaining %q, want 0", r.Outputs["days-remaining"])
	}
	if strings.Contains(r.Messages(), "day ago") {
		t.Errorf("43 s ago is no day ago:\n%s", r.Messages())
	}
}
