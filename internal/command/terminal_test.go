package command

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func terminalVars(e *env, extra map[string]string) map[string]string {
	vars := map[string]string{"GITHUB_API_URL": e.gh.URL}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

func TestTerminal(t *testing.T) {
	t.Parallel()
	good := fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(9 * 24 * time.Hour))}
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		stdin    string
		account  *fake.Account
		code     int
		stdout   []string
		stderr   []string
		requests int
	}{
		{name: "GH_TOKEN passes with a warning", vars: map[string]string{"GH_TOKEN": fake.Classic}, account: &good, code: 0,
			stdout: []string{"token: PASSED WITH WARNINGS", "login    aibrix-bot", "warning[expires-soon]: Token expires soon", "1 token checked: 1 passed (1 warning)"}, requests: 1},
		{name: "GITHUB_TOKEN is read when GH_TOKEN is unset", vars: map[string]string{"GITHUB_TOKEN": fake.Classic}, account: &good, code: 0,
			stdout: []string{"login    aibrix-bot"}, requests: 1},
		{name: "--token-stdin with a pasted newline", args: []string{"--token-stdin", "--token-name", secretName}, stdin: fake.Classic + "\n", account: &good, code: 0,
			stdout: []string{secretName + ": PASSED WITH WARNINGS"}, requests: 1},
		{name: "a 401 fails with status 1", vars: map[string]string{"GH_TOKEN": fake.Classic}, code: 1,
			stdout: []string{"error[bad-credentials]: Token expired or revoked", "docs/codes.md#bad-credentials", "1 token checked: 1 failed (1 error)"}, requests: 1},
		{name: "--token is refused: flags end up in shell history", args: []string{"--token=" + fake.Classic}, code: 2,
			stderr: []string{"there is no --token flag", "GH_TOKEN", "--token-stdin"}},
		{name: "a positional argument is refused without echoing it", args: []string{fake.Classic}, code: 2,
			stderr: []string{"unexpected argument \"ghp_…\""}},
		{name: "bad flag value names the flag", vars: map[string]string{"GH_TOKEN": fake.Classic}, args: []string{"--warn-within-days", "soon"}, code: 2,
			stderr: []string{"flag --warn-within-days: \"soon\""}},
		{name: "unknown flag", args: []string{"--frobnicate"}, code: 2, stderr: []string{"flag provided but not defined: -frobnicate"}},
		// A token on the command line is never printed back, whatever flag
		// error it causes (the flag package quotes it whole).
		{name: "a token as a bool flag's value", args: []string{"--token-stdin=" + fake.Classic}, code: 2, stderr: []string{`invalid boolean value "ghp_…" for -token-stdin`}},
		{name: "a token as --json's value", args: []string{"--json=" + fake.Classic}, code: 2, stderr: []string{`invalid boolean value "ghp_…" for -json`}},
		{name: "a token pasted as a flag", args: []string{"-" + fake.Classic}, code: 2, stderr: []string{"flag provided but not defined: -ghp_…"}},
		{name: "an unprefixed secret as a flag is cut to its start", args: []string{"-Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4eA"}, code: 2, stderr: []string{"flag provided but not defined: -Zm9v…"}},
		// With no token at all, say how to give one: no Actions advice.
		{name: "no token: how to give one, and exit 2", code: 2, stderr: []string{"no token to check: set GH_TOKEN, or pipe it with --token-stdin"}},
		{name: "no token, --on-missing skip: still a usage error", args: []string{"--on-missing", "skip"}, code: 2, stderr: []string{"set GH_TOKEN"}},
		{name: "bad input names the terminal's own flag", vars: map[string]string{"GH_TOKEN": fake.Classic}, args: []string{"--token-name", fake.Classic}, code: 2,
			stderr: []string{"flag --token-name: \"ghp_…\": looks like a token", "Put the token in GH_TOKEN (or --token-stdin)"}},
		{name: "a malformed GH_TOKEN is named as GH_TOKEN", vars: map[string]string{"GH_TOKEN": "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"}, code: 2,
			stderr: []string{"GH_TOKEN (or --token-stdin): is a Docker Hub token", "Set --registry to docker.io and --username"}},
		{name: "--help explains every flag", args: []string{"--help"}, code: 0,
			stdout: []string{"-token-name", "-required-scopes", "-warn-within-days", "-fail-within-days", "-on-missing", "-api-url", "-packages", "-tokens-file", "-token-stdin", "-json", "Exit status: 0 passes"}},
		{name: "--version", args: []string{"--version"}, code: 0, stdout: []string{"token-gate "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tc.account != nil {
				e.gh.Add(fake.Classic, *tc.account)
			}
			r := e.run(t, terminalVars(e, tc.vars), tc.args, tc.stdin)
			if r.Code != tc.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, tc.code, r.Stdout, r.Stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.Stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.Stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.Stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.Stderr)
				}
			}
			if n := len(e.gh.Requests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if strings.Contains(r.Stdout, "::") {
				t.Errorf("workflow commands printed outside Actions:\n%s", r.Stdout)
			}
			assertNoLeak(t, r, fake.Classic)
		})
	}
}

func TestTerminalJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo", Expiry: expiry(now.Add(30 * 24 * time.Hour))})
	r := e.run(t, terminalVars(e, map[string]string{"GH_TOKEN": fake.Classic}), []string{"--json", "--token-name", secretName}, "")
	if r.Code != 1 {
		t.Errorf("exit %d, want 1", r.Code)
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.Stdout)
	}
	if doc.Version != 1 || doc.Audit != nil {
		t.Errorf("version %d, audit %v; want version 1 and no audit (a terminal check reads no workflows)", doc.Version, doc.Audit)
	}
	got := doc.Tokens
	days := 30
	want := []report.TokenReport{{
		Name: secretName, TokenType: "classic-pat", Login: "aibrix-bot", Scopes: []string{"repo"}, MissingScopes: []string{"write:packages"},
		ExpiresAt: "2026-12-25T12:00:00Z", DaysRemaining: &days, Valid: false,
	}}
	if diff := cmp.Diff(want, got, cmpIgnoreProblems); diff != "" {
		t.Errorf("--json (-want +got):\n%s", diff)
	}
	if len(got) == 1 && (len(got[0].Problems) != 1 || !strings.HasPrefix(got[0].Problems[0], "Missing scopes: ")) {
		t.Errorf("problems = %q", got[0].Problems)
	}
	assertNoLeak(t, r, fake.Classic)
}

var requestID = regexp.MustCompile(`5498:3F219F:18172B2:275A386:[0-9A-F]{8}`)

var cmpIgnoreProblems = cmp.FilterPath(func(p cmp.Path) bool { s := p.Last().String(); return s == ".Problems" || s == ".Findings" }, cmp.Ignore())

// TestGolden compares the step summary and the terminal report with the
// golden files in testdata/golden; go test -run TestGolden -update rewrites
// them.
func TestGolden(t *testing.T) {
	t.Parallel()
	scenarios := []struct {
		name  string
		setup func(e *env) map[string]string
	}{
		{"pass", func(e *env) map[string]string {
			e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(75 * 24 * time.Hour))})
			e.reg.Accept(fake.Classic)
			return map[string]string{"token": fake.Classic, "token-name": secretName, "required-scopes": "repo, write:packages",
				"packages": e.reg.Host + "/aibrix/gateway-plugins " + e.reg.Host + "/aibrix/controller-manager"}
		}},
		{"fail", func(e *env) map[string]string {
			e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, delete_repo", Expiry: expiry(now.Add(9*24*time.Hour + 2*time.Hour))})
			e.reg.Accept(fake.Classic)
			e.reg.Deny("aibrix/runtime", "permission_denied: The token provided does not match expected scopes")
			return map[string]string{"token": fake.Classic, "token-name": secretName, "required-scopes": "repo, write:packages",
				"packages": e.reg.Host + "/aibrix/gateway-plugins " + e.reg.Host + "/aibrix/runtime"}
		}},
		{"inventory", func(e *env) map[string]string {
			e.gh.Add(docsToken, fake.Account{Login: "docs-bot", Scopes: "repo", Expiry: expiry(now.Add(40 * 24 * time.Hour))})
			e.gh.Add(chartsToken, fake.Account{Login: "charts-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(9*24*time.Hour + time.Hour))})
			e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages"})
			return map[string]string{"required-scopes": "repo", "tokens": tokenLines(
				"AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN", fake.Classic, "DOCS_DEPLOY_TOKEN", docsToken,
				"HELM_CHARTS_TOKEN", chartsToken, "RELEASE_TOKEN", releaseToken)}
		}},
		{"expired", func(e *env) map[string]string {
			return map[string]string{"token": fake.Classic, "token-name": secretName, "required-scopes": "repo, write:packages"}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			with := sc.setup(e)
			r := e.runAction(t, with)
			// Ports are random, and request ids follow the order in which
			// concurrent requests arrive.
			normal := func(s string) string {
				s = strings.NewReplacer(e.reg.Host, "REGISTRY", e.gh.URL, "API", e.gh.Server.URL, "SERVER").Replace(s)
				return requestID.ReplaceAllString(s, "REQUEST-ID")
			}
			golden(t, "summary-"+sc.name+".md", normal(r.Summary))

			vars := terminalVars(e, map[string]string{"GH_TOKEN": with["token"]})
			var args []string
			for _, k := range []string{"token-name", "required-scopes", "packages"} {
				if v, ok := with[k]; ok {
					args = append(args, "--"+k, v)
				}
			}
			if tokens, ok := with["tokens"]; ok {
				file := filepath.Join(t.TempDir(), "tokens")
				os.WriteFile(file, []byte(tokens), 0o600)
				args = append(args, "--tokens-file", file)
			}
			tr := e.run(t, vars, args, "")
			golden(t, "terminal-"+sc.name+".txt", normal(tr.Stdout))

			// The machine-readable contracts, pinned as text so that a
			// renamed field fails here rather than decoding into the same
			// renamed struct.
			golden(t, "report-"+sc.name+".json", normal(r.Outputs["report"])+"\n")
			jr := e.run(t, vars, append(args, "--json"), "")
			golden(t, "json-"+sc.name+".json", normal(jr.Stdout))
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/command -run TestGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, rerun with -update:\n%s", name, diff)
	}
}

// A failing check in a terminal: error[code] with its link, the totals
// line, colour only where it is wanted, and --help naming it all.
func TestTerminalConventions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo"})
	for _, c := range []struct {
		vars  map[string]string
		args  []string
		color bool
	}{
		{map[string]string{"NO_COLOR": "1"}, nil, false},
		{map[string]string{}, nil, false}, // not a terminal
		{map[string]string{"FORCE_COLOR": "1"}, nil, true},
		{map[string]string{"NO_COLOR": "1"}, []string{"--color=always"}, true},
		{map[string]string{"FORCE_COLOR": "1"}, []string{"--color", "never"}, false},
	} {
		vars := terminalVars(e, map[string]string{"GH_TOKEN": fake.Classic})
		for k, v := range c.vars {
			vars[k] = v
		}
		r := e.run(t, vars, append(c.args, "--token-name", secretName), "")
		if r.Code != ExitFail {
			t.Errorf("%v %v: exit %d", c.vars, c.args, r.Code)
		}
		if got := strings.Contains(r.Stdout, "\x1b["); got != c.color {
			t.Errorf("%v %v: escape bytes %v; want %v", c.vars, c.args, got, c.color)
		}
		plain := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(r.Stdout, "")
		for _, want := range []string{"error[missing-scopes]: Missing scopes", "see: https://github.com/token-gate/token-gate/blob/main/docs/codes.md#missing-scopes",
			"\n1 token checked: 1 failed (1 error)\n"} {
			if !strings.Contains(plain, want) {
				t.Errorf("%v %v: the report lacks %q:\n%s", c.vars, c.args, want, plain)
			}
		}
	}
	r := e.run(t, terminalVars(e, nil), []string{"--help"}, "")
	for _, want := range []string{"Exit status: 0 passes (warnings allowed), 1 fails the gate, 2 bad usage.", "NO_COLOR", "FORCE_COLOR", "-color", "token-gate audit"} {
		if r.Code != ExitPass || !strings.Contains(r.Stdout, want) {
			t.Errorf("--help lacks %q (exit %d):\n%s", want, r.Code, r.Stdout)
		}
	}
	if r := e.run(t, terminalVars(e, map[string]string{"GH_TOKEN": fake.Classic}), []string{"--color=loud"}, ""); r.Code != ExitUsage || !strings.Contains(r.Stderr, "flag --color") {
		t.Errorf("--color=loud: exit %d %s", r.Code, r.Stderr)
	}
}
