package command

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/token-gate/token-gate/internal/fake"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/report"
)

// suppressedPattern is the probes pattern with every finding suppressed by
// an ignore comment (testdata/audit/suppressed).
var suppressedPattern = filepath.Join("..", "..", "testdata", "audit", "suppressed")

func auditJSON(t *testing.T, e *env, args ...string) (report.AuditDocument, result) {
	t.Helper()
	r := auditRun(t, e, nil, append([]string{"--format", "json"}, args...)...)
	var doc report.AuditDocument
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("%v\n%s%s", err, r.Stdout, r.Stderr)
	}
	return doc, r
}

func findingKeys(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Code))
	}
	slices.Sort(out)
	return out
}

// Every finding of the pattern suppressed: the audit passes and counts
// them, in text and JSON; --no-ignore shows each with its comment's line,
// and still passes.
func TestSuppressedFindingsAreCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	text := auditRun(t, e, nil, suppressedPattern)
	if text.Code != ExitPass || !strings.Contains(text.Stdout, "0 errors, 0 warnings, 0 notices, 6 suppressed\n") || strings.Contains(text.Stdout, "error[") {
		t.Errorf("exit %d:\n%s", text.Code, text.Stdout)
	}
	doc, r := auditJSON(t, e, suppressedPattern)
	if r.Code != ExitPass || doc.Suppressed != 6 || len(doc.Findings) != 0 || doc.SuppressedFindings != nil {
		t.Errorf("--format json: exit %d, %d suppressed, %d findings, %d listed", r.Code, doc.Suppressed, len(doc.Findings), len(doc.SuppressedFindings))
	}
	if !strings.Contains(r.Stdout, `"suppressed": 6`) {
		t.Errorf("no count field:\n%s", r.Stdout)
	}

	shown := auditRun(t, e, nil, "--no-ignore", suppressedPattern)
	if shown.Code != ExitPass || !strings.Contains(shown.Stdout, "suppressed by ignore comments (shown by --no-ignore; they fail nothing):") {
		t.Errorf("--no-ignore: exit %d\n%s", shown.Code, shown.Stdout)
	}
	for _, want := range []string{
		"ci.yml:14:21: warning[image-not-probed]", "ci.yml:14:21: warning[probed-not-pushed]", "suppressed by the comment on line 14",
		"ci.yml:29:17: warning[images-in-part]", "suppressed by the comment on line 29",
		"ci.yml:36:14: error[publish-before-check]", "ci.yml:36:14: notice[replaceable]", "suppressed by the comment on line 35",
		"ci.yml:46:21: warning[unchecked-credential]", "suppressed by the comment on line 46",
	} {
		if !strings.Contains(shown.Stdout, want) {
			t.Errorf("--no-ignore lacks %q:\n%s", want, shown.Stdout)
		}
	}
	gh := auditRun(t, e, nil, "--format", "github", suppressedPattern)
	if gh.Code != ExitPass || len(gh.Annotations) != 0 {
		t.Errorf("--format github annotates suppressed findings: %+v", gh.Annotations)
	}
	gh = auditRun(t, e, nil, "--format", "github", "--no-ignore", suppressedPattern)
	if gh.Code != ExitPass || len(gh.Commands("notice")) != 6 || len(gh.Annotations) != 6 ||
		!strings.Contains(gh.Annotations[5].Message, "(warning, suppressed by the comment on line 46)") || gh.Annotations[5].Properties["title"] != "token-gate audit: unchecked-credential (suppressed)" {
		t.Errorf("--format github --no-ignore: exit %d, %+v", gh.Code, gh.Annotations)
	}
	doc, r = auditJSON(t, e, "--no-ignore", suppressedPattern)
	var lines []int
	for _, sf := range doc.SuppressedFindings {
		lines = append(lines, sf.CommentLine)
	}
	if r.Code != ExitPass || doc.Suppressed != 6 || len(doc.Findings) != 0 || !slices.Equal(lines, []int{14, 14, 29, 35, 35, 46}) {
		t.Errorf("--no-ignore --format json: exit %d, %+v", r.Code, doc)
	}
}

// A comment removes exactly the findings it names: take one away, and
// those come back, and nothing else; a shell comment in a run: script
// suppresses nothing; a misspelt code is said, on standard error.
func TestSuppressionRemovesExactlyItsFindings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src, err := os.ReadFile(filepath.Join(suppressedPattern, ".github", "workflows", "ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		comment string
		back    []string
	}{
		{" # token-gate: ignore[image-not-probed, probed-not-pushed]", []string{".github/workflows/ci.yml:14 image-not-probed", ".github/workflows/ci.yml:14 probed-not-pushed"}},
		// Its own line gone, the finding moves up one.
		{"      # token-gate: ignore[publish-before-check, replaceable]\n", []string{".github/workflows/ci.yml:35 publish-before-check", ".github/workflows/ci.yml:35 replaceable"}},
		{" # token-gate: ignore[images-in-part]", []string{".github/workflows/ci.yml:29 images-in-part"}},
		{" # token-gate: ignore[unchecked-credential]", []string{".github/workflows/ci.yml:46 unchecked-credential"}},
	} {
		without := strings.Replace(string(src), c.comment, "", 1)
		if without == string(src) {
			t.Fatalf("the pattern has no %q", c.comment)
		}
		doc, _ := auditJSON(t, e, patternWith(t, without))
		if got := findingKeys(doc.Findings); !slices.Equal(got, c.back) || doc.Suppressed != 6-len(c.back) {
			t.Errorf("without %q: findings %v, %d suppressed; want %v", c.comment, got, doc.Suppressed, c.back)
		}
	}

	shell := string(src) + `  scripted:
    runs-on: ubuntu-latest
    steps:
      - run: |
          docker login ghcr.io -u acme -p "${{ secrets.CR_PAT }}" # token-gate: ignore[unchecked-credential]
          docker push ghcr.io/acme/tool
`
	doc, r := auditJSON(t, e, patternWith(t, shell))
	scriptLine := fmt.Sprintf(".github/workflows/ci.yml:%d unchecked-credential", strings.Count(string(src), "\n")+5)
	if !slices.Equal(findingKeys(doc.Findings), []string{scriptLine}) {
		t.Errorf("a shell comment suppressed a finding: exit %d, %v", r.Code, findingKeys(doc.Findings))
	}

	typo := strings.Replace(string(src), "ignore[publish-before-check, replaceable]", "ignore[publish-before-chek, replaceable]", 1)
	r = auditRun(t, e, nil, patternWith(t, typo))
	if r.Code != ExitFail || !strings.Contains(r.Stderr, "token-gate: .github/workflows/ci.yml:35: ignore[publish-before-chek] names no code token-gate has, so it suppresses nothing") {
		t.Errorf("a misspelt code: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// A token written into an ignore comment by mistake is not repeated whole
// by the warning that names the unknown code: like every workflow text the
// audit quotes, it is redacted (secret.RedactShaped) before it is escaped.
func TestUnknownIgnoreCodeRepeatsNoToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	written := fake.Token("ghp_", "written-into-an-ignore-comment")
	src, err := os.ReadFile(filepath.Join(suppressedPattern, ".github", "workflows", "ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	withToken := strings.Replace(string(src), "ignore[publish-before-check, replaceable]", "ignore[publish-before-check, "+written+"]", 1)
	if withToken == string(src) {
		t.Fatal("the pattern has no ignore[publish-before-check, replaceable]")
	}
	r := auditRun(t, e, nil, patternWith(t, withToken))
	if strings.Contains(r.Stderr, written) || !strings.Contains(r.Stderr, "token-gate: .github/workflows/ci.yml:35: ignore[ghp_…] names no code token-gate has") {
		t.Errorf("a token in an ignore comment: stderr %q", r.Stderr)
	}
}

// patternWith is the suppressed pattern with ci.yml's text replaced.
func patternWith(t *testing.T, ci string) string {
	t.Helper()
	root := repoWith(t, map[string]string{"ci.yml": ci})
	action, err := os.ReadFile(filepath.Join(suppressedPattern, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "action.yml"), action, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// repoWith lays out a repository whose .github/workflows holds files.
func repoWith(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, ".github", "workflows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// In the action, a suppressed error does not fail audit: fail, is not
// annotated, and is counted in the summary and the report output.
func TestActionSuppressedErrorPasses(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	e.workspace = suppressedPattern
	with["audit"] = "fail"
	r := e.runAction(t, with)
	if r.Code != ExitPass {
		t.Errorf("exit %d; a suppressed error failed audit: fail\n%s", r.Code, r.Messages())
	}
	for _, a := range r.Annotations {
		if a.Properties["file"] != "" {
			t.Errorf("a suppressed finding is annotated: %+v", a)
		}
	}
	if !strings.Contains(r.Summary, "0 errors, 0 warnings, 0 notices, 6 suppressed (audit: fail") {
		t.Errorf("the summary does not count them:\n%s", r.Summary)
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(r.Outputs["report"]), &doc); err != nil || doc.Audit == nil || doc.Audit.Suppressed != 6 {
		t.Errorf("report output: %v %+v", err, doc.Audit)
	}
}

// --fix answers no suppressed finding: with QUAY_TOKEN's findings
// suppressed, the preflight checks GHCR_PAT alone; without the comments,
// it checks both.
func TestFixLeavesSuppressedFindings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src := "on: push\njobs:\n" +
		"  ghcr:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          username: acme\n          password: ${{ secrets.GHCR_PAT }}\n      - run: docker push ghcr.io/acme/api # token-gate: ignore[images-in-part]\n" +
		"  quay:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/login-action@v3\n        with:\n          registry: quay.io\n          username: acme\n          password: ${{ secrets.QUAY_TOKEN }} # token-gate: ignore[unchecked-credential]\n      - run: docker push quay.io/acme/api\n"
	for _, c := range []struct {
		src  string
		want []string
		not  []string
	}{
		{src, []string{"token: ${{ secrets.GHCR_PAT }}"}, []string{"secrets.QUAY_TOKEN }}\n          token-name"}},
		{strings.ReplaceAll(src, " # token-gate: ignore[unchecked-credential]", ""), []string{"token: ${{ secrets.GHCR_PAT }}", "token: ${{ secrets.QUAY_TOKEN }}"}, nil},
	} {
		root := repoWith(t, map[string]string{"ci.yml": c.src})
		r := auditRun(t, e, nil, "--fix", root)
		fixed, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "ci.yml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(fixed), w) {
				t.Errorf("the fix lacks %q:\n%s\n%s", w, fixed, r.Stderr)
			}
		}
		for _, w := range c.not {
			if strings.Contains(string(fixed), w) {
				t.Errorf("the fix answers a suppressed finding (%q):\n%s", w, fixed)
			}
		}
	}
}

// A workflow file named like a token is fixed, and the line that says so
// shows its name redacted.
func TestFixedFileNameRepeatsNoToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audit", "half-release", ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	named := fake.Token("ghp_", "a-workflow-file-named-like-a-token")
	root := repoWith(t, map[string]string{named + ".yml": string(src)})
	r := auditRun(t, e, nil, "--fix", root)
	if strings.Contains(r.Stdout+r.Stderr, named) || !strings.Contains(r.Stderr, "token-gate: fixed .github/workflows/ghp_…") {
		t.Errorf("a file named like a token: stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
	if fixed, err := os.ReadFile(filepath.Join(root, ".github", "workflows", named+".yml")); err != nil || !strings.Contains(string(fixed), "preflight:") {
		t.Errorf("the file was not fixed (%v)", err)
	}
}
