package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/token-gate/token-gate/internal/fake"
)

// The composite action, tested without a runner: its file is generated
// from action.yml, its install script runs against a fake release server
// that serves a binary this test builds, and the whole composite runs the
// scenarios every packaging of token-gate must pass.

const testVersion = "v9.9.9"

func TestCompositeIsGenerated(t *testing.T) {
	t.Parallel()
	action, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Composite(action, Unreleased)
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
}

// A release writes its version into the composite, and changes nothing
// else; a version that is no version is refused.
func TestCompositeReleaseVersion(t *testing.T) {
	t.Parallel()
	action, _ := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	unreleased, _ := Composite(action, Unreleased)
	released, err := Composite(action, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Split(string(unreleased), "\n"), strings.Split(string(released), "\n")
	var changed []string
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, strings.TrimSpace(b[i]))
		}
	}
	if len(a) != len(b) || strings.Join(changed, "|") != "TOKEN_GATE_VERSION: v1.2.3" {
		t.Errorf("a release changed %q", changed)
	}
	for _, bad := range []string{"1.2.3", "v1.2", "v1.2.3\nrun: evil", "main"} {
		if _, err := Composite(action, bad); err == nil {
			t.Errorf("version %q accepted", bad)
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

// The binary the fake release serves, built once for this machine.
var built = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "token-gate-composite")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "token-gate")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-X github.com/token-gate/token-gate/internal/version.Version="+testVersion, "-o", out, "../..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, msg)
	}
	return os.ReadFile(out)
})

// hostPlatform is this machine as the runner names it, and the release's
// file for it.
func hostPlatform(t *testing.T) (osName, arch, file string) {
	t.Helper()
	osName = map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS]
	arch = map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	if osName == "" || arch == "" || runtime.GOOS == "windows" {
		t.Skipf("the install script is tested on Linux and macOS; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return osName, arch, "token-gate-" + runtime.GOOS + "-" + runtime.GOARCH
}

// releaseServer serves a release as github.com serves one: a download
// URL, /VERSION/NAME, answers 302 Found with a Location on another path
// where the bytes are (docs/facts.md, "Release downloads": gliderlabs/
// glidergun#17, DataDog/documentation#24206 quote the 302 to
// objects.githubusercontent.com). What GitHub answers for a missing asset
// is not documented; missing answers `missing` (404 unless a test says
// otherwise), and the script must refuse on any failing status.
type releaseServer struct {
	*httptest.Server
	files    map[string][]byte
	missing  int
	requests atomic.Int32
}

func newRelease(t *testing.T, files map[string][]byte) *releaseServer {
	t.Helper()
	rs := &releaseServer{files: files, missing: http.StatusNotFound}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.requests.Add(1)
		if name, ok := strings.CutPrefix(r.URL.Path, "/"+testVersion+"/"); ok {
			if _, exists := rs.files[name]; !exists {
				w.WriteHeader(rs.missing)
				return
			}
			http.Redirect(w, r, "/objects/"+name+"?X-Amz-Signature=x", http.StatusFound)
			return
		}
		data, ok := rs.files[strings.TrimPrefix(r.URL.Path, "/objects/")]
		if !ok {
			w.WriteHeader(rs.missing)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func sums(files map[string][]byte) []byte {
	var b bytes.Buffer
	for _, name := range []string{"token-gate-linux-amd64", "token-gate-linux-arm64", "token-gate-darwin-amd64", "token-gate-darwin-arm64", "token-gate-windows-amd64.exe", "token-gate-windows-arm64.exe"} {
		if data, ok := files[name]; ok {
			sum := sha256.Sum256(data)
			fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name) // sha256sum's format
		}
	}
	return b.Bytes()
}

// install runs composite/install.sh as the composite's first step does.
type installRun struct {
	code           int
	output, stdout string
	bin            string
}

func runInstall(t *testing.T, env map[string]string) installRun {
	t.Helper()
	dir := t.TempDir()
	outputs := filepath.Join(dir, "output")
	script, _ := filepath.Abs(filepath.Join("..", "..", "composite", "install.sh"))
	cmd := exec.Command("bash", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GITHUB_OUTPUT=" + outputs}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r := installRun{stdout: out.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(outputs)
	r.output = string(data)
	if bin, ok := strings.CutPrefix(strings.TrimSpace(r.output), "bin="); ok {
		r.bin = bin
	}
	return r
}

// pathWith is a PATH of the tools the script uses, without gh, or with a
// fake gh that runs the given shell: the script must behave with and
// without it.
func pathWith(t *testing.T, gh string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"bash", "curl", "awk", "cut", "sha256sum", "shasum", "mkdir", "cp", "chmod", "mv", "rm", "mktemp", "cat"} {
		if p, err := exec.LookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(dir, tool))
		}
	}
	if gh != "" {
		os.WriteFile(filepath.Join(dir, "gh"), []byte("#!/bin/sh\n"+gh+"\n"), 0o755)
	}
	return dir
}

func TestInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the install script's runs are in the full suite")
	}
	t.Parallel()
	osName, arch, file := hostPlatform(t)
	bin, err := built()
	if err != nil {
		t.Fatal(err)
	}
	good := map[string][]byte{file: bin}
	good["SHA256SUMS"] = sums(good)
	base := func(rs *releaseServer, cache string) map[string]string {
		return map[string]string{"TOKEN_GATE_VERSION": testVersion, "TOKEN_GATE_DOWNLOAD_URL": rs.URL, "RUNNER_OS": osName, "RUNNER_ARCH": arch,
			"RUNNER_TOOL_CACHE": cache, "PATH": pathWith(t, "")}
	}

	t.Run("the right binary runs, then comes from the cache", func(t *testing.T) {
		rs := newRelease(t, good)
		cache := t.TempDir()
		r := runInstall(t, base(rs, cache))
		if r.code != 0 || r.bin == "" {
			t.Fatalf("exit %d:\n%s", r.code, r.stdout)
		}
		if !strings.Contains(r.stdout, "gh is not installed, so "+file+" was checked against SHA256SUMS only") {
			t.Errorf("no word on the attestation not checked:\n%s", r.stdout)
		}
		out, err := exec.Command(r.bin, "--version").Output()
		if err != nil || !strings.Contains(string(out), testVersion) {
			t.Errorf("the installed binary says %q (%v)", out, err)
		}
		if !strings.HasPrefix(r.bin, filepath.Join(cache, "token-gate", testVersion)) {
			t.Errorf("not in the tool cache: %s", r.bin)
		}
		before := rs.requests.Load()
		again := runInstall(t, base(rs, cache))
		if again.code != 0 || again.bin != r.bin || rs.requests.Load() != before || !strings.Contains(again.stdout, "from the tool cache") {
			t.Errorf("second run: exit %d, %d more requests:\n%s", again.code, rs.requests.Load()-before, again.stdout)
		}
		// A cached binary that changed is refused, not run.
		os.WriteFile(r.bin, append(bytes.Clone(bin), 0), 0o755)
		if tampered := runInstall(t, base(rs, cache)); tampered.code == 0 || !strings.Contains(tampered.stdout, "does not match SHA256SUMS") {
			t.Errorf("a tampered cache: exit %d:\n%s", tampered.code, tampered.stdout)
		}
	})

	refused := []struct {
		name  string
		files map[string][]byte
		env   map[string]string
		want  string
	}{
		{"a tampered binary", map[string][]byte{file: append(bytes.Clone(bin), '!'), "SHA256SUMS": good["SHA256SUMS"]}, nil,
			file + " does not match SHA256SUMS of " + testVersion},
		{"a missing sum", map[string][]byte{file: bin, "SHA256SUMS": []byte("0000  token-gate-other\n")}, nil,
			"SHA256SUMS of " + testVersion + " has no line for " + file},
		{"no SHA256SUMS at all", map[string][]byte{file: bin}, nil, "could not download"},
		{"no SHA256SUMS, answered 403", map[string][]byte{file: bin}, nil, "could not download"},
		{"an unknown system", good, map[string]string{"RUNNER_OS": "FreeBSD"}, `runner.os "FreeBSD" is not supported; token-gate ships for Linux, macOS and Windows`},
		{"an unknown architecture", good, map[string]string{"RUNNER_ARCH": "X86"}, `runner.arch "X86" is not supported; token-gate ships for X64 and ARM64`},
		{"an unreleased composite", good, map[string]string{"TOKEN_GATE_VERSION": Unreleased}, "this composite is from an unreleased commit"},
		{"plain http off loopback", good, map[string]string{"TOKEN_GATE_DOWNLOAD_URL": "http://example.com/releases"}, "must be https"},
		{"a failing attestation", good, map[string]string{"PATH": ""}, "has no valid build attestation from token-gate/token-gate"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			rs := newRelease(t, c.files)
			if strings.HasSuffix(c.name, "403") {
				rs.missing = http.StatusForbidden
			}
			env := base(rs, t.TempDir())
			for k, v := range c.env {
				env[k] = v
			}
			if c.name == "a failing attestation" {
				env["PATH"] = pathWith(t, `echo "Error: no attestations found for subject" >&2; exit 1`)
			}
			r := runInstall(t, env)
			if r.code == 0 || r.bin != "" || !strings.Contains(r.stdout, "::error title=token-gate composite::") || !strings.Contains(r.stdout, c.want) {
				t.Errorf("exit %d, bin %q; want a refusal saying %q:\n%s", r.code, r.bin, c.want, r.stdout)
			}
			if entries, _ := filepath.Glob(filepath.Join(env["RUNNER_TOOL_CACHE"], "token-gate", "*", "*", "token-gate*")); len(entries) > 0 {
				t.Errorf("a refused binary was cached: %v", entries)
			}
		})
	}

	t.Run("a verified attestation", func(t *testing.T) {
		rs := newRelease(t, good)
		env := base(rs, t.TempDir())
		env["PATH"] = pathWith(t, `[ "$1 $2" = "attestation verify" ] && [ "$4 $5" = "--repo token-gate/token-gate" ] || exit 9`)
		if r := runInstall(t, env); r.code != 0 || !strings.Contains(r.stdout, "SHA256SUMS and build attestation verified") {
			t.Errorf("exit %d:\n%s", r.code, r.stdout)
		}
	})
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
	files["SHA256SUMS"] = sums(files)
	rs := newRelease(t, files)
	cache := t.TempDir()
	// The composite as the release of testVersion writes it, beside its
	// install script.
	src, _ := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	text, err := Composite(src, testVersion)
	if err != nil {
		t.Fatal(err)
	}
	actionPath := t.TempDir()
	script, _ := os.ReadFile(filepath.Join("..", "..", "composite", "install.sh"))
	os.WriteFile(filepath.Join(actionPath, "action.yml"), text, 0o644)
	os.WriteFile(filepath.Join(actionPath, "install.sh"), script, 0o755)
	comp := parseActionText(t, "composite/action.yml", text)
	comp.path = actionPath
	tools := pathWith(t, "")
	expires := time.Now().Add(60 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05 MST")
	for _, sc := range fake.Scenarios(expires) {
		t.Run(sc.Name, func(t *testing.T) {
			gh := fake.NewGitHub(t)
			reg := fake.NewRegistry(t)
			sc.Setup(gh, reg)
			contexts := fake.Contexts(gh.URL)
			with := sc.With(reg.Host)
			r := runComposite(t, comp, with, contexts, map[string]string{
				"RUNNER_OS": osName, "RUNNER_ARCH": arch, "RUNNER_TOOL_CACHE": cache, "TOKEN_GATE_DOWNLOAD_URL": rs.URL,
				"PATH": tools, // without gh: its attestation check is TestInstall's
			})
			for _, p := range r.Check(sc.Want.For(reg.Host)) {
				t.Error(p)
			}
			if leaks := fake.StepLeaks(r, gh, reg, with, contexts); len(leaks) > 0 {
				t.Errorf("secrets leaked: %v", leaks)
			}
			if t.Failed() {
				t.Logf("stdout:\n%s", r.Stdout)
			}
		})
	}
}

var expression = regexp.MustCompile(`\$\{\{\s*([a-z_.-]+)\s*\}\}`)

// runComposite runs each step of a composite with bash, as the runner
// does: inputs are with: over the defaults, expressions in env come from
// the inputs, the contexts and earlier steps' outputs, each step writes its
// own GITHUB_OUTPUT, and the composite's outputs are mapped from the gate
// step's. It returns the gate step, read as the runner reads it, with the
// composite's outputs.
func runComposite(t *testing.T, comp action, with, contexts, runner map[string]string) fake.Step {
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
	return last
}
