package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/report"
)

// repoOf lays workflow files out as a repository checked out: each path
// (from testdata/audit, or an absolute one) goes to .github/workflows
// under its base name.
func repoOf(t *testing.T, files ...string) string {
	t.Helper()
	texts := map[string]string{}
	for _, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join("..", "..", "testdata", "audit", f)
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(f)] = string(src)
	}
	return repoWith(t, texts)
}

// auditRun runs `token-gate audit ARGS` as a terminal would.
func auditRun(t *testing.T, e *env, vars map[string]string, args ...string) result {
	t.Helper()
	if vars == nil {
		vars = map[string]string{}
	}
	return e.run(t, vars, append([]string{"audit"}, args...), "")
}

// The terminal and JSON forms, pinned as text: three patterns at once
// (errors, warnings and notices, several files).
func TestAuditGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := repoOf(t, "probes/.github/workflows/ci.yml", "dynamic-matrix/.github/workflows/matrix.yml", "metadata/.github/workflows/image.yml")
	r := auditRun(t, e, nil, root)
	if r.Code != ExitFail {
		t.Errorf("exit %d; want 1 for error findings", r.Code)
	}
	golden(t, "audit-patterns.txt", r.Stdout)
	j := auditRun(t, e, nil, "--json", root)
	golden(t, "audit-patterns.json", j.Stdout)
	golden(t, "audit-patterns.sarif", auditRun(t, e, nil, "--format", "sarif", root).Stdout)
	golden(t, "audit-patterns.github.txt", auditRun(t, e, nil, "--format", "github", root).Stdout)
	golden(t, "audit-suppressed-no-ignore.txt", auditRun(t, e, nil, "--no-ignore", suppressedPattern).Stdout)
	var doc report.AuditDocument
	if err := json.Unmarshal([]byte(j.Stdout), &doc); err != nil || doc.Version != 1 || len(doc.Findings) == 0 || len(doc.Credentials) == 0 {
		t.Errorf("--json: %v, version %d, %d findings", err, doc.Version, len(doc.Findings))
	}
}

// AIBrix's two pushing workflows, the issue's own case, in the terminal
// form; then --fix, after which the audit exits 0.
func TestAuditAIBrix(t *testing.T) {
	t.Parallel()
	shared := fake.AIBrixWorkflows(t)
	e := newEnv(t)
	root := repoOf(t, filepath.Join(shared, "docker-push-images.yml"), filepath.Join(shared, "release-build.yaml"))
	r := auditRun(t, e, nil, root)
	if r.Code != ExitFail {
		t.Errorf("exit %d; want 1", r.Code)
	}
	golden(t, "audit-aibrix.txt", r.Stdout)
	for _, want := range []string{
		".github/workflows/docker-push-images.yml:39:21: warning[unchecked-credential]",
		".github/workflows/docker-push-images.yml:86:21: warning[unchecked-credential]",
		".github/workflows/release-build.yaml:125:11: error[publish-before-check]: python-wheel-release (PyPI) and kvcache-wheel-release (PyPI) can publish before AIBRIX_ORG_PACKAGE_UPDATE_GITHUB_TOKEN and DOCKER_HUB_ACCESS_TOKEN are first used",
		"2 workflows read, 2 push credentials: 1 error, 6 warnings, 4 notices",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the audit lacks %q", want)
		}
	}

	fixed := auditRun(t, e, nil, "--fix", root)
	if fixed.Code != ExitPass || !strings.Contains(fixed.Stdout, "0 errors") {
		t.Errorf("after --fix: exit %d\n%s", fixed.Code, fixed.Stdout)
	}
	for _, f := range []string{"docker-push-images.yml", "release-build.yaml"} {
		if !strings.Contains(fixed.Stderr, "token-gate: fixed .github/workflows/"+f) {
			t.Errorf("--fix does not say it fixed %s:\n%s", f, fixed.Stderr)
		}
	}
	if again := auditRun(t, e, nil, root); again.Code != ExitPass {
		t.Errorf("a fresh audit of the fixed files: exit %d", again.Code)
	}
}

// What the audit refuses, with exit 2 and words that say why.
func TestAuditUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	empty := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{empty}, "has no .github/workflows folder: run the audit at a repository's root"},
		{[]string{"a", "b"}, "audit takes one folder, not 2"},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--color=sometimes", empty}, "flag --color"},
		{[]string{"--" + fake.Classic}, "ghp_…"},
	}
	for _, c := range cases {
		r := auditRun(t, e, nil, c.args...)
		if r.Code != ExitUsage || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, r.Code, r.Stderr, c.want)
		}
	}
	if r := auditRun(t, e, nil, "--help"); r.Code != ExitPass || !strings.Contains(r.Stdout, "Exit status: 0 no error finding, 1 an error finding, 2 bad usage") {
		t.Errorf("--help: exit %d\n%s", r.Code, r.Stdout)
	}
	// `token-gate audit` in a run: step has GITHUB_ACTIONS=true too.
	gated := filepath.Join("..", "..", "testdata", "audit", "gated")
	if r := auditRun(t, e, map[string]string{"GITHUB_ACTIONS": "true"}, gated); r.Code != ExitPass || !strings.Contains(r.Stdout, "0 errors") {
		t.Errorf("in a run: step: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// Colour only where it is wanted: NO_COLOR=1 output holds no escape byte,
// FORCE_COLOR and --color=always colour even a pipe, --color=never wins.
func TestAuditColour(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := repoOf(t, "probes/.github/workflows/ci.yml")
	cases := []struct {
		vars  map[string]string
		args  []string
		color bool
	}{
		{map[string]string{"NO_COLOR": "1"}, nil, false},
		{map[string]string{"FORCE_COLOR": "1"}, nil, true},
		{map[string]string{"FORCE_COLOR": "1", "NO_COLOR": "1"}, nil, true},
		{map[string]string{"NO_COLOR": "1"}, []string{"--color=always"}, true},
		{map[string]string{"FORCE_COLOR": "1"}, []string{"--color=never"}, false},
		{map[string]string{}, nil, false}, // a pipe
	}
	for _, c := range cases {
		r := auditRun(t, e, c.vars, append(c.args, root)...)
		if got := strings.Contains(r.Stdout, "\x1b["); got != c.color {
			t.Errorf("%v %v: colour %v; want %v", c.vars, c.args, got, c.color)
		}
		if c.color && !strings.Contains(r.Stdout, "\x1b[1;31merror[publish-before-check]\x1b[0m") {
			t.Errorf("%v %v: the label is not red:\n%q", c.vars, c.args, r.Stdout)
		}
	}
}

// auditEnv is a passing check of the AIBrix PAT, in a job that checked out
// the probes pattern (one credential checked, drifted packages, an npm
// publish beside an unproven Quay push).
func auditEnv(t *testing.T) (*env, map[string]string) {
	t.Helper()
	e := healthEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages", Expiry: expiry(now.Add(10 * 24 * time.Hour))})
	e.workspace = filepath.Join("..", "..", "testdata", "audit", "probes") // with its action.yml, for uses: ./
	return e, map[string]string{"token": fake.Classic, "token-name": "GHCR_PAT"}
}

// In the action, audit: warn (the default) annotates every finding on its
// workflow file as a warning, and the step passes on the token.
func TestActionAuditWarn(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	r := e.runAction(t, with)
	if r.Code != ExitPass {
		t.Errorf("exit %d; audit: warn does not fail the step\n%s", r.Code, r.Messages())
	}
	var placed []string
	for _, a := range r.Annotations {
		if a.Properties["file"] != "" {
			placed = append(placed, a.Command+" "+a.Properties["file"]+":"+a.Properties["line"]+":"+a.Properties["col"]+" "+strings.SplitN(a.Message, "]", 2)[0]+"]")
		}
	}
	want := []string{
		"warning .github/workflows/ci.yml:14:21 [image-not-probed]",
		"warning .github/workflows/ci.yml:14:21 [probed-not-pushed]",
		"warning .github/workflows/ci.yml:29:17 [images-in-part]",
		"warning .github/workflows/ci.yml:35:14 [publish-before-check]",
		"warning .github/workflows/ci.yml:42:11 [unchecked-credential]",
		"notice .github/workflows/ci.yml:35:14 [replaceable]",
	}
	if strings.Join(placed, "\n") != strings.Join(want, "\n") {
		t.Errorf("annotations on the workflow file:\n%s\nwant\n%s", strings.Join(placed, "\n"), strings.Join(want, "\n"))
	}
	for _, want := range []string{"### Workflow audit", "1 workflow read, 2 push credentials: 1 error, 4 warnings, 1 notice (audit: warn", "| `GHCR_PAT` | ghcr.io |",
		"docs/codes.md#unchecked-credential", "<details><summary>Fix: token-gate audit --fix writes this: add the preflight job (shown)"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, r.Summary)
		}
	}
}

// audit: fail makes an error finding fail the step, whatever the token.
func TestActionAuditFail(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	with["audit"] = "fail"
	r := e.runAction(t, with)
	if r.Code != ExitFail || r.Outputs["valid"] != "true" {
		t.Errorf("exit %d, valid %q; want the step failed by the audit, the token still valid", r.Code, r.Outputs["valid"])
	}
	if errs := r.Commands("error"); len(errs) != 1 || errs[0].Properties["file"] != ".github/workflows/ci.yml" || !strings.HasPrefix(errs[0].Message, "[publish-before-check]") {
		t.Errorf("error annotations: %+v", errs)
	}
}

// An audit-only step: no token, on-missing skip, audit fail. It sends
// nothing, and fails only on the workflows.
func TestActionAuditOnly(t *testing.T) {
	t.Parallel()
	with := map[string]string{"token": "", "on-missing": "skip", "audit": "fail"}
	e := newEnv(t)
	e.workspace = filepath.Join("..", "..", "testdata", "audit", "gated")
	if r := e.runAction(t, with); r.Code != ExitPass || len(e.gh.Requests()) != 0 {
		t.Errorf("gated workflows: exit %d, %d requests; want 0 and none\n%s", r.Code, len(e.gh.Requests()), r.Messages())
	}
	e = newEnv(t)
	e.workspace = filepath.Join("..", "..", "testdata", "audit", "half-release")
	r := e.runAction(t, with)
	if r.Code != ExitFail || len(e.gh.Requests()) != 0 || len(r.Commands("error")) != 1 {
		t.Errorf("a half release: exit %d, %d requests, %d errors; want 1, none, 1\n%s", r.Code, len(e.gh.Requests()), len(r.Commands("error")), r.Messages())
	}
	// Warnings alone (pushes nothing checks, and nothing publishes) fail
	// nothing.
	e = newEnv(t)
	e.workspace = filepath.Join("..", "..", "testdata", "audit", "run-push")
	if r := e.runAction(t, with); r.Code != ExitPass || len(r.Commands("warning")) == 0 {
		t.Errorf("warnings only: exit %d, %d warnings; want 0 and some\n%s", r.Code, len(r.Commands("warning")), r.Messages())
	}
}

// With nothing checked out, one line says how to turn the audit on; with
// audit: off, not even that. A bad audit value is bad input.
func TestActionAuditSkippedAndOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo, write:packages"})
	r := e.runAction(t, map[string]string{"token": fake.Classic})
	if !strings.Contains(r.Summary, "Workflow audit not made:** nothing is checked out") || !strings.Contains(r.Summary, "sparse-checkout: .github is enough") {
		t.Errorf("no word on turning the audit on:\n%s", r.Summary)
	}
	e.workspace = repoOf(t, "run-push/.github/workflows/push.yml")
	r = e.runAction(t, map[string]string{"token": fake.Classic, "audit": "off"})
	if strings.Contains(r.Summary, "audit") || strings.Contains(r.Stdout, "file=") {
		t.Errorf("audit: off still audits:\n%s", r.Summary)
	}
	r = e.runAction(t, map[string]string{"token": fake.Classic, "audit": "loud"})
	if r.Code != ExitUsage || !strings.Contains(r.Messages(), "input `audit`") || !strings.Contains(r.Messages(), "not one of off, warn, fail") {
		t.Errorf("audit: loud: exit %d\n%s", r.Code, r.Messages())
	}
}

// Where the secret is used, in the summary row, the report output and the
// reminder issue, which ends with the renewal checklist.
func TestActionWhereUsed(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	with["reminder"] = "issue"
	r := e.runAction(t, with)
	for _, want := range []string{
		"| Used in | .github/workflows/ci.yml:11 (job check), .github/workflows/ci.yml:25 (job api) |",
		"| Pushes | ghcr.io/acme/api, ghcr.io/acme/new |",
	} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, r.Summary)
		}
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(r.Outputs["report"]), &doc); err != nil || doc.Tokens[0].UsedBy == nil || doc.Tokens[0].UsedBy.Secret != "GHCR_PAT" || doc.Audit == nil {
		t.Errorf("report output: %v %+v", err, doc)
	}
	open := e.gh.Issues.Open()
	if len(open) != 1 {
		t.Fatalf("%d issues; want the expiring token's", len(open))
	}
	body := open[0].Body
	for _, want := range []string{
		"### Where it is used", "- `.github/workflows/ci.yml:25` (job `api`)", "It pushes ghcr.io/acme/api, ghcr.io/acme/new.",
		"### Renewal checklist", "- [ ] Regenerate it with the scopes", "settings/tokens/new?scopes=",
		"`gh secret set GHCR_PAT --repo aibrix/aibrix`", "`gh secret set GHCR_PAT --org aibrix --visibility selected --repos aibrix,OTHER_REPO`",
		"- [ ] Re-run the token check.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the issue lacks %q:\n%s", want, body)
		}
	}

	// A failing token's issue asks for the failed jobs to run again.
	e, with = auditEnv(t)
	e.gh.Add(fake.Classic, fake.Account{Login: "aibrix-bot", Scopes: "repo"})
	with["reminder"] = "issue"
	e.runAction(t, with)
	if open := e.gh.Issues.Open(); len(open) != 1 || !strings.Contains(open[0].Body, "`gh run rerun 4242 --failed --repo aibrix/aibrix`") {
		t.Errorf("no rerun in the failing token's issue: %+v", open)
	}
}

// A check whose token-name says nothing is matched to its secret through
// the job it runs in (GITHUB_WORKFLOW_REF and GITHUB_JOB).
func TestActionWhereUsedByJob(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	delete(with, "token-name")
	e.contexts["github.workflow_ref"] = "aibrix/aibrix/.github/workflows/ci.yml@refs/heads/main"
	e.contexts["github.job"] = "check"
	r := e.runAction(t, with)
	if !strings.Contains(r.Summary, "| Used in | .github/workflows/ci.yml:11 (job check)") {
		t.Errorf("not matched by its job:\n%s", r.Summary)
	}
	e.contexts["github.job"] = "api" // no check of its own there
	if r := e.runAction(t, with); strings.Contains(r.Summary, "| Used in | .github") {
		t.Errorf("matched a job that checks nothing:\n%s", r.Summary)
	}
}

// Past ten warnings, one notice counts the rest; the summary lists all.
func TestActionAuditAnnotationCap(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("on: push\njobs:\n")
	for i := range 12 {
		b.WriteString("  j" + string(rune('a'+i)) + ":\n    runs-on: x\n    steps:\n      - run: docker login ghcr.io -u u -p ${{ secrets.PAT_" + string(rune('A'+i)) + " }}\n      - run: docker push ghcr.io/acme/" + string(rune('a'+i)) + "\n")
	}
	e := newEnv(t)
	e.workspace = t.TempDir()
	os.MkdirAll(filepath.Join(e.workspace, ".github", "workflows"), 0o755)
	os.WriteFile(filepath.Join(e.workspace, ".github", "workflows", "many.yml"), []byte(b.String()), 0o644)
	r := e.runAction(t, map[string]string{"token": "", "on-missing": "skip"})
	if n := len(r.Commands("warning")); n != 10 {
		t.Errorf("%d warnings; want 10", n)
	}
	found := false
	for _, n := range r.Commands("notice") {
		found = found || regexp.MustCompile(`^\d+ more warnings: see the job summary`).MatchString(n.Message)
	}
	if !found || strings.Count(r.Summary, "[unchecked-credential]") != 12 {
		t.Errorf("the notice %v, %d findings in the summary", found, strings.Count(r.Summary, "[unchecked-credential]"))
	}
}

// A token written into a workflow by mistake is never repeated whole: not
// in the terminal, the JSON, the annotations or the summary; a literal
// password is not quoted at all.
func TestAuditNeverRepeatsAToken(t *testing.T) {
	t.Parallel()
	written := fake.Token("ghp_", "written-into-a-workflow")
	password := "Hunter2Hunter2Hunter2"
	root := t.TempDir()
	dir := filepath.Join(root, ".github", "workflows")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "leaky.yml"), []byte(`on: push
jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: acme
          password: `+password+`
      - run: docker login ghcr.io -u acme -p `+written+` && docker push ghcr.io/acme/`+written+`
      - name: `+written+`
        run: echo "${{ secrets.CR_PAT }}" | docker login ghcr.io -u acme --password-stdin
`), 0o644)
	e := newEnv(t)
	for _, args := range [][]string{{root}, {"--json", root}} {
		r := auditRun(t, e, nil, args...)
		if leaks := fake.Leaks(r.All(), written, password); len(leaks) > 0 {
			t.Errorf("%v: the audit repeats %v:\n%s", args, leaks, r.Stdout)
		}
		if !strings.Contains(r.Stdout, "ghp_…") {
			t.Errorf("%v: the token is not shown by its prefix:\n%s", args, r.Stdout)
		}
	}
	e.workspace = root
	r := e.runAction(t, map[string]string{"token": "", "on-missing": "skip"})
	if leaks := fake.Leaks(r.All(), written, password); len(leaks) > 0 {
		t.Errorf("the action repeats %v", leaks)
	}
	if !strings.Contains(r.Summary, "a value written into the file, not shown here") {
		t.Errorf("the literal password is not said to be hidden:\n%s", r.Summary)
	}
}

// The help's prose is wrapped for an 80-column terminal: a line that ran on
// past it once read as a glitch. The usage line and the examples are as
// long as they must be.
func TestHelpProseFitsATerminal(t *testing.T) {
	for name, text := range map[string]string{"audit": auditUsage, "inventory": inventoryUsage, "token-gate": usageHead} {
		prose, _, _ := strings.Cut(text, "Flags:")
		for i, line := range strings.Split(prose, "\n") {
			if strings.HasPrefix(line, "Usage:") || strings.HasPrefix(line, "  ") {
				continue
			}
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("%s help, line %d: %d columns: %q", name, i+1, n, line)
			}
		}
	}
}
