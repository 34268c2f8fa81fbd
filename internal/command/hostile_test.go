package command

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// hostilePattern holds job ids, a step name and a job if: that are
// workflow commands and escape sequences (testdata/audit/hostile).
var hostilePattern = filepath.Join("..", "..", "testdata", "audit", "hostile")

// hostileRepo is hostilePattern plus what git cannot commit: workflow file
// names that hold a line break and a command, a CR and a command, and ESC.
func hostileRepo(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(hostilePattern, ".github", "workflows", "inject.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"inject.yml": string(src)}
	for _, name := range []string{
		"a\n::set-output name=valid::true.yml",
		"b\r::error::forged.yml",
		"c\x1b]8;;evil.example\x07\u202egnp.yml",
	} {
		files[name] = string(src)
	}
	return repoWith(t, files)
}

// runnerLines splits output as the runner reads a step's output: at LF,
// CR and CRLF (.NET's ReadLine).
func runnerLines(out string) []string {
	return regexp.MustCompile(`\r\n|\r|\n`).Split(out, -1)
}

// commandLines are the lines the runner would take for workflow commands
// (actions/runner, ActionCommand): "::" first after white space (the runner
// trims it, Unicode's spaces included), or "##[" anywhere.
func commandLines(out string) []string {
	var cmds []string
	for _, line := range runnerLines(out) {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// sgr is a colour sequence token-gate writes itself.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// rawControls finds control characters and bidi controls in out, other
// than line feeds and, when colour is on, token-gate's own colours.
func rawControls(out string, colour bool) []string {
	if colour {
		out = sgr.ReplaceAllString(out, "")
	}
	var bad []string
	for _, r := range out {
		if r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == '\u200e' || r == '\u200f' || r == '\u061c') {
			bad = append(bad, string(r))
		}
	}
	return bad
}

// intendedCommand is what the audit means to write in --format github: an
// annotation with its properties, nothing else on the line.
var intendedCommand = regexp.MustCompile(`^::(error|warning|notice) (col|file|line|title)=[^,:]*(,(col|file|line|title)=[^,:]*)*::[^\r\n]*$`)

// Every output of `token-gate audit`, in every format, with and without
// --no-ignore, colour and --fix, on the hostile pattern and hostile file
// names: no line the runner would read as a command that the program did
// not mean, and no raw control character (issue 22, item 2).
func TestAuditOutputCarriesNoCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := hostileRepo(t)
	runs := [][]string{
		{"--format", "text"},
		{"--format", "text", "--color=always"},
		{"--format", "text", "--no-ignore"},
		{"--format", "json"},
		{"--format", "json", "--no-ignore"},
		{"--format", "sarif"},
		{"--format", "sarif", "--no-ignore"},
		{"--format", "github"},
		{"--fix"},
	}
	for _, args := range runs {
		dir := root
		if args[0] == "--fix" {
			// --fix writes; give it its own copy.
			dir = hostileRepo(t)
		}
		r := auditRun(t, e, map[string]string{"GITHUB_ACTIONS": "true"}, append(args, dir)...)
		want := ExitFail
		if args[0] == "--fix" {
			want = ExitPass // what --fix writes answers the error
		}
		if r.Code != want {
			t.Errorf("%q: exit %d\n%s", args, r.Code, r.Stderr)
		}
		github := len(args) > 1 && args[1] == "github"
		for _, stream := range []struct{ name, text string }{{"stdout", r.Stdout}, {"stderr", r.Stderr}} {
			for _, line := range commandLines(stream.text) {
				if github && stream.name == "stdout" && intendedCommand.MatchString(line) && !strings.Contains(line, "##[") {
					continue
				}
				t.Errorf("%q %s: a workflow command the program did not mean: %q", args, stream.name, line)
			}
			if bad := rawControls(stream.text, strings.Contains(strings.Join(args, " "), "always")); len(bad) > 0 {
				t.Errorf("%q %s: raw control characters %q", args, stream.name, bad)
			}
		}
		if github && len(r.Annotations) == 0 {
			t.Errorf("--format github wrote no annotation:\n%s", r.Stdout)
		}
		if args[0] == "--fix" && !strings.Contains(r.Stderr, `token-gate: fixed .github/workflows/a\n::set-output name=valid::true.yml`) {
			t.Errorf("--fix does not name the file it fixed, escaped:\n%s", r.Stderr)
		}
	}
	// The hostile text is there, escaped, not dropped.
	text := auditRun(t, e, nil, root).Stdout
	for _, want := range []string{`job build\n::set-output name=valid::true`, `deploy\r::error::forged`, `.github/workflows/b\r::error::forged.yml`} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	json := auditRun(t, e, nil, "--format", "json", root).Stdout
	if !strings.Contains(json, `"step": "Push ##\u005bset-output name=valid;]true"`) || !strings.Contains(json, `\u001b]8;;https://evil.example\u0007\u202egnp.exe\u007f\u0085`) {
		t.Errorf("the JSON does not keep the step names, escaped:\n%s", json)
	}
	// A folder name that is a command is quoted back, not obeyed.
	r := auditRun(t, e, nil, "x\n::error::forged")
	if r.Code != ExitUsage || len(commandLines(r.Stderr)) > 0 || len(rawControls(r.Stderr, false)) > 0 {
		t.Errorf("a hostile folder name: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// The action on a checked-out workspace of hostile workflows: every line
// the runner reads as a command is one the program wrote through
// go-githubactions, no annotation carries a raw control character, and
// the summary holds the names escaped.
func TestActionAuditCarriesNoCommands(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	e.workspace = hostileRepo(t)
	r := e.runAction(t, with)
	ours := regexp.MustCompile(`^::(add-mask|debug|error|warning|notice|group|endgroup)( [^:]*)?::[^\r\n]*$`)
	for _, line := range commandLines(r.Stdout) {
		if !ours.MatchString(line) || strings.Contains(line, "##[") {
			t.Errorf("a command the program did not mean: %q", line)
		}
	}
	placed := 0
	for _, a := range r.Annotations {
		if a.Properties["file"] != "" {
			placed++
		}
		if bad := rawControls(a.Message+a.Properties["title"], false); len(bad) > 0 {
			t.Errorf("annotation %q carries %q", a.Message, bad)
		}
	}
	if placed == 0 {
		t.Errorf("no annotation on the workflows:\n%s", r.Stdout)
	}
	if bad := rawControls(r.Summary, false); len(bad) > 0 {
		t.Errorf("the summary carries %q", bad)
	}
	if bad := rawControls(r.Stderr, false); len(bad) > 0 || len(commandLines(r.Stderr)) > 0 {
		t.Errorf("stderr: %q", r.Stderr)
	}
}
