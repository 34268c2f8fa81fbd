package command

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/transport"
)

// now is the injected clock of every test: no test depends on the date it
// runs.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// expiry formats t as GitHub's expiry header does.
func expiry(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }

// fastPolicy keeps the retry tests quick while exercising the same code.
var fastPolicy = transport.Policy{Attempts: 3, Backoff: 10 * time.Millisecond, AttemptTimeout: 2 * time.Second, MaxRetryAfter: 10 * time.Second}

// result is a finished in-process run, read as the runner reads it.
type result = fake.Step

type env struct {
	gh        *fake.GitHub
	reg       *fake.Registry
	policy    transport.Policy
	timeout   time.Duration
	contexts  map[string]string
	transport http.RoundTripper
	pace      time.Duration
	// workspace, when set, is copied to GITHUB_WORKSPACE: what the job
	// checked out.
	workspace string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	gh := fake.NewGitHub(t)
	return &env{
		gh:      gh,
		reg:     fake.NewRegistry(t),
		policy:  fastPolicy,
		timeout: 20 * time.Second,
		contexts: map[string]string{
			"github.api_url":    gh.URL,
			"github.server_url": "https://github.com",
			"github.repository": "aibrix/aibrix",
			"github.run_id":     "4242",
			"github.token":      fake.Token("ghs_", "actions"),
		},
		transport: http.DefaultTransport,
		pace:      5 * time.Millisecond,
	}
}

// runAction runs the command in-process exactly as the runner would start the
// container: action.yml's runs.args, and every input of action.yml with its
// default, overridden by with.
func (e *env) runAction(t *testing.T, with map[string]string) result {
	t.Helper()
	return e.runActionWith(t, with, nil)
}

// runActionWith is runAction with more variables: what the job's earlier
// steps left in GITHUB_ENV, say.
func (e *env) runActionWith(t *testing.T, with, extra map[string]string) result {
	t.Helper()
	dir := t.TempDir()
	vars, err := fake.RunnerEnv(filepath.Join("..", "..", "action.yml"), with, e.contexts, dir)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		vars[k] = v
	}
	if e.workspace != "" {
		if err := os.CopyFS(vars["GITHUB_WORKSPACE"], os.DirFS(e.workspace)); err != nil {
			t.Fatal(err)
		}
	}
	return e.run(t, vars, runnerArgs(t), "")
}

func (e *env) run(t *testing.T, vars map[string]string, args []string, stdin string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := &Command{
		Args:      args,
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Stdin:     strings.NewReader(stdin),
		Stdout:    &stdout,
		Stderr:    &stderr,
		Transport: e.transport,
		Policy:    e.policy,
		Now:       func() time.Time { return now },
		Timeout:   e.timeout,
		// GitHub's second between writes, shortened; TestReminderPacing
		// checks the real spacing.
		ReminderPace: e.pace,
	}
	code := cmd.Main(context.Background())
	r, err := fake.ReadStep(code, stdout.String(), stderr.String(), vars["GITHUB_OUTPUT"], vars["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	e.scanLeaks(t, r, vars, args, stdin)
	return r
}

// scanLeaks runs after every run of every test: no token the fakes know, no
// token given to the run and no registry token may appear, in any form the
// program sends it, in any byte written or in any issue title, body or
// comment. Given to the run means in an input, GH_TOKEN, GITHUB_TOKEN,
// standard input, a --tokens-file, or an argument shaped like a token (a
// token typed where a path or a value belongs).
func (e *env) scanLeaks(t *testing.T, r result, vars map[string]string, args []string, stdin string) {
	t.Helper()
	inputs := map[string]string{}
	for k, v := range vars {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			inputs[strings.ToLower(name)] = v
		}
	}
	more := []string{stdin, vars["GH_TOKEN"], vars["GITHUB_TOKEN"]}
	for i, a := range args {
		value := a
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			value = v
		}
		more = append(more, tokenShaped().FindAllString(value, -1)...)
		file := ""
		switch {
		case strings.TrimLeft(a, "-") == "tokens-file" && i+1 < len(args):
			file = args[i+1]
		case strings.HasPrefix(strings.TrimLeft(a, "-"), "tokens-file="):
			file = value
		}
		if data, err := os.ReadFile(file); file != "" && err == nil {
			for _, l := range config.TokenLines(string(data)) {
				more = append(more, l.Secrets()...)
			}
		}
	}
	plausible := fake.RunSecrets(e.gh, e.reg, inputs, more...)
	if leaks := fake.Leaks(r.All()+"\n"+e.gh.IssueText(), plausible...); len(leaks) > 0 {
		t.Errorf("secrets leaked into what the program wrote or into issues: %v", leaks)
	}
}

// tokenShaped finds the tokens an argument holds, wherever they are in it
// (a path such as ./secrets/ghp_….txt).
var tokenShaped = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:ghp_|github_pat_|gho_|ghu_|ghs_|ghr_|dckr_pat_|dckr_oat_)[A-Za-z0-9_.-]+`)
})

// assertNoLeak fails when any secret appears in any byte the program wrote,
// outside the ::add-mask:: lines.
func assertNoLeak(t *testing.T, r result, secrets ...string) {
	t.Helper()
	if leaks := fake.Leaks(r.All(), secrets...); len(leaks) > 0 {
		t.Errorf("secrets leaked into the program's output: %v", leaks)
	}
}

// assertMaskedFirst checks that the first thing written is the mask of each
// secret.
func assertMaskedFirst(t *testing.T, r result, secrets ...string) {
	t.Helper()
	lines := strings.Split(r.Stdout, "\n")
	for i, s := range secrets {
		if s == "" {
			continue
		}
		if i >= len(lines) || lines[i] != "::add-mask::"+s {
			t.Errorf("line %d of stdout should mask secret %d first; stdout starts:\n%s", i+1, i, strings.Join(lines[:min(len(lines), 3)], "\n"))
		}
	}
}

// paths lists METHOD PATH of each request.
func paths(reqs []fake.Request) []string {
	out := []string{}
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
