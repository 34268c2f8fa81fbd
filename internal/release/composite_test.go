package release

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/token-gate/token-gate/internal/fake"
)

// The composite action, tested without a runner: its file is generated
// from action.yml, a release pins its binaries' digests in it, and the
// whole composite runs the scenarios every packaging of token-gate must
// pass, its install script downloading a binary this test builds from a
// fake github.com (install_test.go tests the script alone).

func TestCompositeIsGenerated(t *testing.T) {
	t.Parallel()
	action, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Composite(action, Unreleased, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "composite", "action.yml")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(want) {
		t.Fatalf("composite/action.yml is not what action.yml makes (go test ./internal/release -update): %v", err)
	}
	// The same inputs, with the same defaults, and the same outputs.
	a, err := fake.ActionInputs(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := fake.ActionInputs(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, c); diff != "" {
		t.Errorf("inputs differ (-action +composite):\n%s", diff)
	}
	ca, cc := parseAction(t, filepath.Join("..", "..", "action.yml")), parseAction(t, path)
	if len(ca.Outputs) != len(cc.Outputs) {
		t.Errorf("%d outputs in action.yml, %d in the composite", len(ca.Outputs), len(cc.Outputs))
	}
	for name := range ca.Outputs {
		if v := cc.Outputs[name].Value; v != "${{ steps.gate.outputs."+name+" }}" {
			t.Errorf("composite output %s is %q", name, v)
		}
	}
	gate := cc.Runs.Steps[1]
	for _, in := range a {
		if v := gate.Env["INPUT_"+strings.ToUpper(in.Name)]; v != "${{ inputs."+in.Name+" }}" {
			t.Errorf("input %s reaches the binary as %q", in.Name, v)
		}
	}
	// No input is ever put into a script: every run: is constant.
	for _, s := range cc.Runs.Steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %s puts an expression into its script: %s", s.ID, s.Run)
		}
	}
	// The install step's env is all it reads: the release's constants, the
	// job's server and token, and nothing a job could aim elsewhere.
	install := cc.Runs.Steps[0]
	wantEnv := map[string]string{
		"TOKEN_GATE_VERSION": Unreleased, "TOKEN_GATE_REPOSITORY": testRepo, "TOKEN_GATE_SHA256": "",
		"TOKEN_GATE_SERVER_URL": "${{ github.server_url }}", "TOKEN_GATE_JOB_TOKEN": "${{ github.token }}",
	}
	if diff := cmp.Diff(wantEnv, install.Env); diff != "" {
		t.Errorf("the install step's env (-want +got):\n%s", diff)
	}
}

// Item 8: a release writes its version and the SHA-256 of each of its
// binaries into the composite, and changes nothing else.
func TestCompositeRelease(t *testing.T) {
	t.Parallel()
	action, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	unreleased, err := Composite(action, Unreleased, nil)
	if err != nil {
		t.Fatal(err)
	}
	digests := Digests{}
	var sums strings.Builder
	for _, target := range Targets {
		digests[target] = digestOf([]byte(target))
		sums.WriteString(digests[target] + "  " + target + "\n")
	}
	released, err := Composite(action, "v1.2.3", digests)
	if err != nil {
		t.Fatal(err)
	}
	// The pins are the install step's TOKEN_GATE_SHA256, in sha256sum's
	// format, as the script reads them.
	install := parseActionText(t, "released", released).Runs.Steps[0]
	if install.Env["TOKEN_GATE_VERSION"] != "v1.2.3" || install.Env["TOKEN_GATE_SHA256"] != sums.String() {
		t.Errorf("the release's install step env: %q", install.Env)
	}
	// Nothing else changed: the lines before and after the pins are the
	// unreleased file's, but for the version.
	want := strings.Replace(string(unreleased), "TOKEN_GATE_VERSION: unreleased", "TOKEN_GATE_VERSION: v1.2.3", 1)
	block := "TOKEN_GATE_SHA256: |"
	for _, target := range Targets {
		block += "\n          " + digests[target] + "  " + target
	}
	want = strings.Replace(want, "TOKEN_GATE_SHA256: ''", block, 1)
	if diff := cmp.Diff(want, string(released)); diff != "" {
		t.Errorf("a release changed more than its version and pins (-want +got):\n%s", diff)
	}

	for _, bad := range []string{"1.2.3", "v1.2", "v1.2.3\nrun: evil", "main"} {
		if _, err := Composite(action, bad, digests); err == nil {
			t.Errorf("version %q accepted", bad)
		}
	}
	missing := Digests{}
	for _, target := range Targets[1:] {
		missing[target] = digests[target]
	}
	upper := Digests{}
	for k, v := range digests {
		upper[k] = strings.ToUpper(v)
	}
	injected := Digests{}
	for k, v := range digests {
		injected[k] = v
	}
	injected[Targets[0]] = digests[Targets[0]] + "\n      run: evil"
	for name, d := range map[string]Digests{"none": nil, "one missing": missing, "upper case": upper, "a line injected": injected} {
		if _, err := Composite(action, "v1.2.3", d); err == nil {
			t.Errorf("a release with digests %s was written", name)
		}
	}
	if _, err := Composite(action, Unreleased, digests); err == nil {
		t.Error("an unreleased composite took digests")
	}
}

// ParseSums takes the SHA256SUMS the release workflow writes, and nothing
// less or else.
func TestParseSums(t *testing.T) {
	t.Parallel()
	var good strings.Builder
	want := Digests{}
	for _, target := range Targets {
		want[target] = digestOf([]byte(target))
		fmt.Fprintf(&good, "%s  %s\n", want[target], target)
	}
	got, err := ParseSums([]byte(good.String()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// sha256sum -b marks binary mode with '*'.
	if _, err := ParseSums([]byte(strings.ReplaceAll(good.String(), "  token", " *token"))); err != nil {
		t.Errorf("binary mode refused: %v", err)
	}
	first := strings.SplitAfter(good.String(), "\n")[0]
	for name, c := range map[string]struct{ text, want string }{
		"a target missing":    {strings.TrimPrefix(good.String(), first), "has no line for " + Targets[0]},
		"a target twice":      {good.String() + first, "names " + Targets[0] + " twice"},
		"another file":        {good.String() + strings.Repeat("a", 64) + "  SHA256SUMS\n", `names "SHA256SUMS", which is not a release binary`},
		"upper-case hex":      {strings.ToUpper(good.String()[:64]) + good.String()[64:], "line 1"},
		"a short digest":      {"abc  " + Targets[0] + "\n", "is not 64 lowercase hex digits"},
		"empty":               {"", "is not 64 lowercase hex digits"},
		"a path, not a name":  {strings.Replace(good.String(), "  token-gate-darwin-amd64", "  dist/token-gate-darwin-amd64", 1), "not a release binary"},
		"a line with a space": {good.String() + want[Targets[0]] + "  token-gate-linux-amd64 x\n", "is not 64 lowercase hex digits"},
	} {
		if _, err := ParseSums([]byte(c.text)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error saying %q", name, err, c.want)
		}
	}
}

// Item 8: the release workflow writes SHA256SUMS over exactly the binaries
// it builds, and hands it to the pin tool, which writes the composite that
// the release commit holds. Its build step runs here, with a go that
// writes stand-ins, so the SHA256SUMS it makes is the one ParseSums reads.
func TestReleaseWorkflowPinsTheBinaries(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
				Env  map[string]string `yaml:"env"`
				Run  string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	var build, pin string
	attested := false
	for _, s := range wf.Jobs["release"].Steps {
		switch {
		case strings.Contains(s.Run, "go build"):
			build = s.Run
		case strings.Contains(s.Run, "./internal/release/cmd/pin"):
			pin = s.Run
		case strings.HasPrefix(s.Uses, "actions/attest-build-provenance@"):
			attested = s.With["subject-path"] == "dist/token-gate-*"
		}
	}
	if build == "" || pin == "" || !attested {
		t.Fatalf("the release job has no build step, pin step or attestation of dist/token-gate-*")
	}
	if !strings.Contains(pin, "-sums dist/SHA256SUMS") || !regexp.MustCompile(`git commit [^\n]*composite/action\.yml`).MatchString(pin) {
		t.Errorf("the pin step does not pin SHA256SUMS into the committed composite:\n%s", pin)
	}

	dir := t.TempDir()
	bin := filepath.Join(t.TempDir(), "bin")
	os.Mkdir(bin, 0o755)
	// go build -o OUT writes GOOS/GOARCH into OUT.
	goStandIn := "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=\"$2\"; shift; done\nprintf '%s/%s' \"$GOOS\" \"$GOARCH\" >\"$out\"\n"
	os.WriteFile(filepath.Join(bin, "go"), []byte(goStandIn), 0o755)
	cmd := exec.Command("bash", "-e", "-c", build)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "VERSION=v1.2.3"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "dist", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	digests, err := ParseSums(sums)
	if err != nil {
		t.Fatalf("the release's SHA256SUMS: %v\n%s", err, sums)
	}
	for _, target := range Targets {
		data, err := os.ReadFile(filepath.Join(dir, "dist", target))
		if err != nil || digests[target] != digestOf(data) {
			t.Errorf("%s: %v", target, err)
		}
	}
}

// action is what the tests read of an action.yml.
type action struct {
	path    string // where it stands: GITHUB_ACTION_PATH
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Inputs map[string]struct {
		Default *string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
			Run   string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func parseAction(t *testing.T, path string) action {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseActionText(t, path, data)
}

func parseActionText(t *testing.T, path string, data []byte) action {
	t.Helper()
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a
}

// The whole composite, as the runner would run it (docs/facts.md, "How the
// runner starts the container" for what it passes), through every scenario
// the binary and the container pass.
func TestCompositeRunsTheScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the install script's runs are in the full suite")
	}
	t.Parallel()
	osName, arch, file := hostPlatform(t)
	bin, err := built()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{file: bin}
	files["SHA256SUMS"] = sumsText(files)
	rs := newRelease(t, release{assets: files})
	cache := t.TempDir()
	// The composite as the release of testVersion writes it, beside its
	// install script.
	src, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := Composite(src, testVersion, digestsFor(file, bin))
	if err != nil {
		t.Fatal(err)
	}
	actionPath := t.TempDir()
	script, err := os.ReadFile(filepath.Join("..", "..", "composite", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(actionPath, "action.yml"), text, 0o644)
	os.WriteFile(filepath.Join(actionPath, "install.sh"), script, 0o755)
	comp := parseActionText(t, "composite/action.yml", text)
	comp.path = actionPath
	path := tools(t, nil, "") // without gh: its attestation check is TestInstall's
	expires := time.Now().Add(60 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")
	for _, sc := range fake.Scenarios(expires) {
		t.Run(sc.Name, func(t *testing.T) {
			gh := fake.NewGitHub(t)
			reg := fake.NewRegistry(t)
			sc.Setup(gh, reg)
			contexts := fake.Contexts(gh.URL)
			with := sc.With(reg.Host)
			r, all := runComposite(t, comp, with, contexts, map[string]string{
				"RUNNER_OS": osName, "RUNNER_ARCH": arch, "RUNNER_TOOL_CACHE": cache, "RUNNER_TEMP": t.TempDir(),
				"HTTPS_PROXY": rs.in.ProxyURL, "CURL_CA_BUNDLE": rs.in.CAFile, "PATH": path,
				// What a job's env, or an earlier step's GITHUB_ENV, might
				// set: a composite step's own env wins (docs/facts.md,
				// "Composite actions"), so none of it reaches the script.
				"TOKEN_GATE_DOWNLOAD_URL": "http://localhost:1@evil.example/", "TOKEN_GATE_VERSION": "v0.0.1",
				"TOKEN_GATE_SHA256": digestOf([]byte("planted")) + "  " + file, "TOKEN_GATE_REPOSITORY": "evil/evil",
			})
			for _, p := range r.Check(sc.Want.For(reg.Host)) {
				t.Error(p)
			}
			whole := r
			whole.Stdout = all
			if leaks := fake.StepLeaks(whole, gh, reg, with, contexts); len(leaks) > 0 {
				t.Errorf("secrets leaked: %v", leaks)
			}
			if t.Failed() {
				t.Logf("every step's output:\n%s", all)
			}
		})
	}
	for _, tunnel := range rs.in.Tunnels() {
		if tunnel != "github.com:443" && tunnel != assetHost+":443" {
			t.Errorf("the composite went to %s", tunnel)
		}
	}
}

var expression = regexp.MustCompile(`\$\{\{\s*([a-z_.-]+)\s*\}\}`)

// runComposite runs each step of a composite with bash, as the runner
// does: inputs are with: over the defaults, expressions in env come from
// the inputs, the contexts and earlier steps' outputs, each step writes its
// own GITHUB_OUTPUT, and the composite's outputs are mapped from the gate
// step's. It returns the gate step, read as the runner reads it, with the
// composite's outputs, and every step's output, for leak scans. The job's
// env (runner) comes first, and a step's own env wins, as on the runner.
func runComposite(t *testing.T, comp action, with, contexts, runner map[string]string) (fake.Step, string) {
	t.Helper()
	dir := t.TempDir()
	actionPath := comp.path
	values := map[string]string{}
	for k, v := range contexts {
		values[k] = v
	}
	eval := func(s string) string {
		return expression.ReplaceAllStringFunc(s, func(m string) string { return values[expression.FindStringSubmatch(m)[1]] })
	}
	for name, in := range comp.Inputs {
		if v, ok := with[name]; ok {
			values["inputs."+name] = v
		} else if in.Default != nil {
			values["inputs."+name] = eval(*in.Default)
		}
	}
	var last fake.Step
	var all strings.Builder
	for i, step := range comp.Runs.Steps {
		outputs, summary := filepath.Join(dir, fmt.Sprintf("output-%d", i)), filepath.Join(dir, fmt.Sprintf("summary-%d", i))
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GITHUB_ACTIONS=true", "CI=true", "GITHUB_ACTION_PATH=" + actionPath,
			"GITHUB_OUTPUT=" + outputs, "GITHUB_STEP_SUMMARY=" + summary, "GITHUB_WORKSPACE=" + filepath.Join(dir, "workspace"),
			"GITHUB_API_URL=" + contexts["github.api_url"], "GITHUB_SERVER_URL=" + contexts["github.server_url"],
			"GITHUB_REPOSITORY=" + contexts["github.repository"], "GITHUB_RUN_ID=" + contexts["github.run_id"]}
		for k, v := range runner {
			env = append(env, k+"="+v)
		}
		for k, v := range step.Env {
			env = append(env, k+"="+eval(v))
		}
		os.WriteFile(outputs, nil, 0o644)
		cmd := exec.Command("bash", "-e", "-c", step.Run)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		r, err := fake.ReadStep(code, stdout.String(), stderr.String(), outputs, summary)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(r.All() + "\n")
		for k, v := range r.Outputs {
			values["steps."+step.ID+".outputs."+k] = v
		}
		last = r
		if code != 0 {
			if step.ID != "gate" {
				t.Fatalf("step %s failed (%d):\n%s%s", step.ID, code, stdout.String(), stderr.String())
			}
			break
		}
	}
	composite := map[string]string{}
	for name, out := range comp.Outputs {
		composite[name] = eval(out.Value)
	}
	last.Outputs = composite
	return last, all.String()
}
