package fake

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Input is one input declared in action.yml.
type Input struct {
	Name       string
	Default    string
	HasDefault bool
}

// ActionInputs reads the inputs of action.yml and their defaults. It reads
// only the shape token-gate's own action.yml has (two-space indentation,
// one-line defaults), which is all a test needs; a change of shape fails the
// tests loudly rather than silently.
func ActionInputs(path string) ([]Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Input
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case line == "inputs:":
			in = true
		case in && line != "" && !strings.HasPrefix(line, " "):
			in = false
		case in && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":"):
			out = append(out, Input{Name: strings.TrimSuffix(strings.TrimSpace(line), ":")})
		case in && strings.HasPrefix(line, "    default:") && len(out) > 0:
			v := strings.TrimSpace(strings.TrimPrefix(line, "    default:"))
			if len(v) >= 2 && (v[0] == '\'' && v[len(v)-1] == '\'' || v[0] == '"' && v[len(v)-1] == '"') {
				v = v[1 : len(v)-1]
			}
			out[len(out)-1].Default, out[len(out)-1].HasDefault = v, true
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no inputs found in %s", path)
	}
	return out, nil
}

var expression = regexp.MustCompile(`\$\{\{\s*([a-z_.]+)\s*\}\}`)

// RunnerEnv builds the environment the Actions runner gives a container
// action: every declared input as INPUT_<NAME> (upper-cased, hyphens kept),
// defaults included with expressions evaluated from contexts, overridden by
// with; plus GITHUB_ACTIONS, CI, the workspace and the file-command paths
// under dir (docs/facts.md, "How the runner starts the container").
func RunnerEnv(actionYML string, with map[string]string, contexts map[string]string, dir string) (map[string]string, error) {
	inputs, err := ActionInputs(actionYML)
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"CI":                  "true",
		"HOME":                "/github/home",
		"GITHUB_OUTPUT":       filepath.Join(dir, "set_output_0f1e2d3c"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "step_summary_0f1e2d3c"),
		// The runner mounts the job's workspace into the container; a
		// test that checks out writes .github/workflows under it.
		"GITHUB_WORKSPACE": filepath.Join(dir, "workspace"),
	}
	for k, v := range contexts {
		switch k {
		case "github.api_url":
			env["GITHUB_API_URL"] = v
		case "github.server_url":
			env["GITHUB_SERVER_URL"] = v
		case "github.repository":
			env["GITHUB_REPOSITORY"] = v
		case "github.run_id":
			env["GITHUB_RUN_ID"] = v
		case "github.workflow_ref":
			env["GITHUB_WORKFLOW_REF"] = v
		case "github.job":
			env["GITHUB_JOB"] = v
		}
	}
	for _, in := range inputs {
		v, given := with[in.Name]
		if !given {
			if !in.HasDefault {
				continue
			}
			v = expression.ReplaceAllStringFunc(in.Default, func(m string) string {
				return contexts[expression.FindStringSubmatch(m)[1]]
			})
		}
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(in.Name, " ", "_"))] = v
	}
	for k := range with {
		found := false
		for _, in := range inputs {
			found = found || in.Name == k
		}
		if !found {
			return nil, fmt.Errorf("input %q is not declared in action.yml", k)
		}
	}
	return env, nil
}

// ParseOutputs reads a GITHUB_OUTPUT file as the runner does: name=value
// lines and name<<DELIMITER heredocs.
func ParseOutputs(data string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20) // an output may be 1 MB on one line
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var lines []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				lines = append(lines, sc.Text())
			}
			if !closed {
				return nil, fmt.Errorf("output %q: delimiter %q never closed", name, delim)
			}
			out[name] = strings.Join(lines, "\n")
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("malformed output line %q", line)
		}
		out[name] = value
	}
	return out, nil
}

// Annotation is a workflow command as the runner reads it, unescaped.
type Annotation struct {
	Command    string // error, warning, notice, add-mask, debug
	Properties map[string]string
	Message    string
}

var commandLine = regexp.MustCompile(`^::([a-z-]+)(?: ([^:]*))?::(.*)$`)

// ParseCommands reads the workflow commands in stdout and undoes their
// escaping (docs/facts.md, "Workflow commands").
func ParseCommands(stdout string) []Annotation {
	var out []Annotation
	for _, line := range strings.Split(stdout, "\n") {
		m := commandLine.FindStringSubmatch(strings.TrimSuffix(line, "\r"))
		if m == nil {
			continue
		}
		a := Annotation{Command: m[1], Properties: map[string]string{}, Message: unescape(m[3], false)}
		if m[2] != "" {
			for _, kv := range strings.Split(m[2], ",") {
				k, v, _ := strings.Cut(kv, "=")
				a.Properties[k] = unescape(v, true)
			}
		}
		out = append(out, a)
	}
	return out
}

func unescape(s string, property bool) string {
	pairs := []string{"%0D", "\r", "%0A", "\n"}
	if property {
		pairs = append(pairs, "%3A", ":", "%2C", ",")
	}
	pairs = append(pairs, "%25", "%")
	return strings.NewReplacer(pairs...).Replace(s)
}

// Leaks reports every secret that occurs in text outside an ::add-mask::
// line, the one place a secret must appear, whole or in part: raw,
// URL-encoded, Go-, JSON- and HTML-escaped (a server may echo it so, and a
// message may quote it), base64 of the HTTP Basic user:secret for every user
// name the tests log in with, and any run of PartialRun of its characters
// (what a cut before redaction would leave).
func Leaks(text string, secrets ...string) []string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			lines = append(lines, line)
		}
	}
	rest := strings.Join(lines, "\n")
	total := 0
	for _, s := range secrets {
		total += len(s)
	}
	if total > len(rest) {
		return leaksInShortText(rest, secrets)
	}
	// One pass over the text: every form and every piece is looked up by
	// its first PartialRun bytes, so a run with thousands of secrets and
	// megabytes of output is scanned in linear time.
	byStart := map[string][]leakForm{}
	pieces := map[string]int{} // a piece of a secret → which secret
	found := map[int]string{}
	for si, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range secretForms(s) {
			if len(form) < PartialRun {
				if strings.Contains(rest, form) {
					found[si] = head(s) + "… as " + head(form) + "…"
				}
				continue
			}
			byStart[form[:PartialRun]] = append(byStart[form[:PartialRun]], leakForm{si, form})
		}
		if len(s) >= 20 {
			for i := 0; i+PartialRun <= len(s); i++ {
				if piece := s[i : i+PartialRun]; strings.Count(piece, piece[:1]) != len(piece) {
					pieces[piece] = si
				}
			}
		}
	}
	for i := 0; i+PartialRun <= len(rest); i++ {
		key := rest[i : i+PartialRun]
		for _, f := range byStart[key] {
			if found[f.secret] == "" && strings.HasPrefix(rest[i:], f.form) {
				found[f.secret] = head(secrets[f.secret]) + "… as " + head(f.form) + "…"
			}
		}
		if si, ok := pieces[key]; ok && found[si] == "" {
			found[si] = head(secrets[si]) + "… in part: " + head(key) + "…"
		}
	}
	var out []string
	for si := range secrets {
		if f := found[si]; f != "" {
			out = append(out, f)
		}
	}
	return out
}

// leaksInShortText is Leaks for text shorter than its secrets (a megabyte
// piped in as a token, a few lines written): the text's own runs are
// indexed, and each form and piece of each secret looked up in them, so
// that the cost stays linear in the secrets without building an index of
// them.
func leaksInShortText(rest string, secrets []string) []string {
	runs := map[string]bool{}
	for i := 0; i+PartialRun <= len(rest); i++ {
		runs[rest[i:i+PartialRun]] = true
	}
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		found := ""
		for _, form := range secretForms(s) {
			if len(form) < PartialRun && strings.Contains(rest, form) || len(form) >= PartialRun && runs[form[:PartialRun]] && strings.Contains(rest, form) {
				found = head(s) + "… as " + head(form) + "…"
				break
			}
		}
		if found == "" && len(s) >= 20 {
			for i := 0; i+PartialRun <= len(s); i++ {
				if piece := s[i : i+PartialRun]; runs[piece] && strings.Count(piece, piece[:1]) != len(piece) {
					found = head(s) + "… in part: " + head(piece) + "…"
					break
				}
			}
		}
		if found != "" {
			out = append(out, found)
		}
	}
	return out
}

// head is the start of a secret, enough to name it in a failure.
func head(s string) string { return s[:min(len(s), 8)] }

type leakForm struct {
	secret int
	form   string
}

// PartialRun is the shortest piece of a secret a leak scan looks for: a run
// of that many of its characters, in a secret long enough to hold such runs
// that are not its padding (a run of one repeated character, as in
// ghp_xxxx…), is a leak in part (what a cut before redaction would leave).
const PartialRun = 12

// basicUsers are the user names whose Basic credentials Leaks looks for.
var basicUsers = []string{"token-gate", "aibrix-bot", "dockerhub-user"}

// secretForms lists the forms of a secret a leak scan looks for.
func secretForms(s string) []string {
	goQuoted := strconv.Quote(s)
	jsonQuoted, _ := json.Marshal(s)
	forms := []string{s, url.QueryEscape(s), goQuoted[1 : len(goQuoted)-1], string(jsonQuoted[1 : len(jsonQuoted)-1]), html.EscapeString(s)}
	for _, u := range basicUsers {
		raw := []byte(u + ":" + s)
		forms = append(forms, base64.StdEncoding.EncodeToString(raw), base64.RawStdEncoding.EncodeToString(raw))
	}
	return forms
}

// Step is what one run of the action left behind, read as the runner reads
// it.
type Step struct {
	Code        int
	Stdout      string
	Stderr      string
	OutputsRaw  string
	Outputs     map[string]string
	Summary     string
	Annotations []Annotation
}

// ReadStep gathers a finished run: its exit status and streams, and the
// outputs and summary files it wrote (either path may be empty).
func ReadStep(code int, stdout, stderr, outputsFile, summaryFile string) (Step, error) {
	s := Step{Code: code, Stdout: stdout, Stderr: stderr, Annotations: ParseCommands(stdout)}
	if outputsFile != "" {
		data, _ := os.ReadFile(outputsFile)
		s.OutputsRaw = string(data)
		var err error
		if s.Outputs, err = ParseOutputs(s.OutputsRaw); err != nil {
			return s, fmt.Errorf("outputs file does not parse as the runner parses it: %w\n%s", err, s.OutputsRaw)
		}
	}
	if summaryFile != "" {
		data, _ := os.ReadFile(summaryFile)
		s.Summary = string(data)
	}
	return s, nil
}

// All is every byte the run wrote, for leak scans.
func (s Step) All() string {
	return strings.Join([]string{s.Stdout, s.Stderr, s.OutputsRaw, s.Summary}, "\n")
}

// Commands returns the workflow commands of one kind (error, warning, ...).
func (s Step) Commands(kind string) []Annotation {
	var out []Annotation
	for _, a := range s.Annotations {
		if a.Command == kind {
			out = append(out, a)
		}
	}
	return out
}

// Titles lists the titles of the annotations of one kind, never nil.
func (s Step) Titles(kind string) []string {
	out := []string{}
	for _, a := range s.Commands(kind) {
		out = append(out, a.Properties["title"])
	}
	return out
}

// Messages joins every annotation's message, one per line.
func (s Step) Messages() string {
	var b strings.Builder
	for _, a := range s.Annotations {
		b.WriteString(a.Message + "\n")
	}
	return b.String()
}

// StepWant is what a scenario expects of a step; empty fields are not
// checked, and a non-nil empty slice asserts there are none.
type StepWant struct {
	Code     int
	Outputs  map[string]string
	Errors   []string
	Warnings []string
	Notices  []string
	Contains []string // substrings of the annotations' messages
	Summary  []string // substrings of the step summary
}

// Check reports every way s differs from w.
func (s Step) Check(w StepWant) []string {
	var problems []string
	if s.Code != w.Code {
		problems = append(problems, fmt.Sprintf("exit status %d, want %d", s.Code, w.Code))
	}
	for k, v := range w.Outputs {
		if got, ok := s.Outputs[k]; !ok || got != v {
			problems = append(problems, fmt.Sprintf("output %s = %q (set: %v), want %q", k, got, ok, v))
		}
	}
	for _, kind := range []struct {
		name string
		want []string
	}{{"error", w.Errors}, {"warning", w.Warnings}, {"notice", w.Notices}} {
		if kind.want != nil && strings.Join(kind.want, "\x00") != strings.Join(s.Titles(kind.name), "\x00") {
			problems = append(problems, fmt.Sprintf("%s annotations %q, want %q", kind.name, s.Titles(kind.name), kind.want))
		}
	}
	msgs := s.Messages()
	for _, c := range w.Contains {
		if !strings.Contains(msgs, c) {
			problems = append(problems, fmt.Sprintf("no annotation says %q", c))
		}
	}
	for _, c := range w.Summary {
		if !strings.Contains(s.Summary, c) {
			problems = append(problems, fmt.Sprintf("summary lacks %q", c))
		}
	}
	return problems
}

// RunStep runs cmd to completion, capturing its streams, and reads the step
// it left behind. A non-zero exit is the step's status, not an error.
func RunStep(cmd *exec.Cmd, outputsFile, summaryFile string) (Step, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		return Step{}, err
	}
	return ReadStep(code, stdout.String(), stderr.String(), outputsFile, summaryFile)
}

// For returns the expectations with REGISTRY replaced by the fake registry's
// host, whose port is known only at run time.
func (w StepWant) For(registryHost string) StepWant {
	sub := strings.NewReplacer("REGISTRY", registryHost).Replace
	each := func(list []string) []string {
		if list == nil {
			return nil
		}
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = sub(s)
		}
		return out
	}
	out := w
	out.Outputs = map[string]string{}
	for k, v := range w.Outputs {
		out.Outputs[k] = sub(v)
	}
	out.Errors, out.Warnings, out.Notices = each(w.Errors), each(w.Warnings), each(w.Notices)
	out.Contains, out.Summary = each(w.Contains), each(w.Summary)
	return out
}
