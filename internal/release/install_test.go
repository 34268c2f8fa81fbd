package release

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/fake"
)

// composite/install.sh, run as the composite's first step runs it, against
// a fake github.com (fakes_test.go).

// Tokens a job holds: its own, and those a workflow may set in env for gh.
var (
	jobToken        = fake.Token("ghs_", "job")
	enterpriseToken = fake.Token("ghp_", "enterprise")
	otherToken      = fake.Token("ghp_", "other")
)

// installRun is what one run of the script left behind.
type installRun struct {
	code                 int
	stdout               string // stdout and stderr, as the log shows them
	output, env, addPath string // GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH
	bin                  string
	// The tool cache and RUNNER_TEMP before and after.
	cacheBefore, cacheAfter, tempBefore, tempAfter map[string]string
}

// all is every byte the run wrote, for leak scans.
func (r installRun) all() string {
	return strings.Join([]string{r.stdout, r.output, r.env, r.addPath}, "\n")
}

// installer is one test's runner: its release, tool cache, temp and PATH.
type installer struct {
	rs    *releaseServer
	cache string
	temp  string
	path  string
	ghLog string
	file  string // the release binary for this machine
	env   map[string]string
}

// newInstaller sets up a runner of this machine for the release rel,
// pinned to pins, with the given gh (nil: none), on github.com.
func newInstaller(t *testing.T, rel release, pins Digests, gh *ghFake) *installer {
	t.Helper()
	osName, arch, file := hostPlatform(t)
	in := &installer{rs: newRelease(t, rel), cache: t.TempDir(), temp: t.TempDir(), file: file}
	in.ghLog = filepath.Join(t.TempDir(), "gh.log")
	in.path = tools(t, gh, in.ghLog)
	sums := ""
	for _, target := range Targets {
		if pins[target] != "" {
			sums += pins[target] + "  " + target + "\n"
		}
	}
	in.env = map[string]string{
		// The install step's env in composite/action.yml.
		"TOKEN_GATE_VERSION": testVersion, "TOKEN_GATE_REPOSITORY": testRepo, "TOKEN_GATE_SHA256": sums,
		"TOKEN_GATE_SERVER_URL": "https://github.com", "TOKEN_GATE_JOB_TOKEN": jobToken,
		// The runner's.
		"RUNNER_OS": osName, "RUNNER_ARCH": arch, "RUNNER_TOOL_CACHE": in.cache, "RUNNER_TEMP": in.temp,
		// The way onto the fake internet, as a runner behind a proxy.
		"HTTPS_PROXY": in.rs.in.ProxyURL, "CURL_CA_BUNDLE": in.rs.in.CAFile, "SSL_CERT_FILE": in.rs.in.CAFile,
	}
	return in
}

func (in *installer) run(t *testing.T) installRun {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_ENV": filepath.Join(dir, "env"), "GITHUB_PATH": filepath.Join(dir, "path")}
	script, err := filepath.Abs(filepath.Join("..", "..", "composite", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Env = []string{"PATH=" + in.path, "HOME=" + dir}
	for k, v := range files {
		os.WriteFile(v, nil, 0o644)
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range in.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cacheBefore, tempBefore := snapshot(t, in.cache), snapshot(t, in.temp)
	err = cmd.Run()
	r := installRun{stdout: out.String(), cacheBefore: cacheBefore, tempBefore: tempBefore, cacheAfter: snapshot(t, in.cache), tempAfter: snapshot(t, in.temp)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		data, _ := os.ReadFile(files[name])
		return string(data)
	}
	r.output, r.env, r.addPath = read("GITHUB_OUTPUT"), read("GITHUB_ENV"), read("GITHUB_PATH")
	if bin, ok := strings.CutPrefix(strings.TrimSpace(r.output), "bin="); ok {
		r.bin = bin
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the script's output:\n%s", r.stdout)
		}
	})
	// Whatever happened, no token left the job's hands in what it wrote.
	if leaks := fake.Leaks(r.all(), jobToken, enterpriseToken, otherToken); len(leaks) > 0 {
		t.Errorf("tokens in the output: %v\n%s", leaks, r.stdout)
	}
	return r
}

// refused checks that a run stopped with one error annotation saying want,
// named nothing to run, and kept nothing in the tool cache.
func (in *installer) refused(t *testing.T, r installRun, want string) {
	t.Helper()
	errs := fake.ParseCommands(r.stdout)
	if r.code == 0 || r.output != "" || len(errs) != 1 || errs[0].Command != "error" || !strings.Contains(errs[0].Message, want) {
		t.Errorf("exit %d, output %q; want one ::error saying %q:\n%s", r.code, r.output, want, r.stdout)
	}
	if diff := cmp.Diff(r.cacheBefore, r.cacheAfter); diff != "" {
		t.Errorf("a refused run changed the tool cache (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(r.tempBefore, r.tempAfter); diff != "" {
		t.Errorf("a refused run left files in RUNNER_TEMP (-before +after):\n%s", diff)
	}
}

// snapshot is every file under dir, by path, with its digest.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			files[path] = digestOf(data)
		}
		return nil
	})
	return files
}

// ran checks that a run succeeded with a binary that is the release's, in
// RUNNER_TEMP, and returns the one line that says what was verified.
func (in *installer) ran(t *testing.T, r installRun, bin []byte) string {
	t.Helper()
	if r.code != 0 || r.bin == "" {
		t.Fatalf("exit %d, bin %q:\n%s", r.code, r.bin, r.stdout)
	}
	if !strings.HasPrefix(r.bin, in.temp+string(filepath.Separator)) {
		t.Errorf("the binary that runs, %s, is not the private copy in RUNNER_TEMP", r.bin)
	}
	if got, err := os.ReadFile(r.bin); err != nil || !bytes.Equal(got, bin) {
		t.Errorf("the binary that runs is not the release's (%v)", err)
	}
	if r.env != "" || r.addPath != "" || strings.Count(r.output, "\n") != 1 {
		t.Errorf("wrote more than its output bin: GITHUB_OUTPUT %q, GITHUB_ENV %q, GITHUB_PATH %q", r.output, r.env, r.addPath)
	}
	var lines []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, "SHA-256 verified") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want one line saying what was verified, got %d:\n%s", len(lines), r.stdout)
	}
	return lines[0]
}

func TestInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the install script's runs are in the full suite")
	}
	t.Parallel()
	_, _, file := hostPlatform(t)
	bin, err := built()
	if err != nil {
		t.Fatal(err)
	}
	good := map[string][]byte{file: bin}
	good["SHA256SUMS"] = sumsText(good)
	pins := digestsFor(file, bin)

	t.Run("a download, then the tool cache, checked every time", func(t *testing.T) {
		t.Parallel()
		in := newInstaller(t, release{assets: good}, pins, nil)
		r := in.run(t)
		line := in.ran(t, r, bin)
		// Without gh: one line says what was verified and what was not.
		want := "::notice title=token-gate composite::token-gate " + testVersion + " (" + file + ", downloaded): SHA-256 verified against the digest this composite pins; build attestation not checked: gh is not installed (gh 2.51 or later checks it)"
		if line != want {
			t.Errorf("the line on what was verified:\n got %s\nwant %s", line, want)
		}
		out, err := exec.Command(r.bin, "--version").Output()
		if err != nil || !strings.Contains(string(out), testVersion) {
			t.Errorf("the installed binary says %q (%v)", out, err)
		}
		reqs := in.rs.Requests()
		if len(reqs) != 2 || reqs[0].host != "github.com" || reqs[1].host != assetHost {
			t.Errorf("requests %v; want github.com, then its redirect to %s", reqs, assetHost)
		}
		for _, req := range reqs {
			if req.authorization != "" {
				t.Errorf("a download sent credentials to %s", req.host)
			}
		}
		cached := filepath.Join(in.cache, "token-gate", testVersion, strings.TrimPrefix(file, "token-gate-"), file)
		if data, err := os.ReadFile(cached); err != nil || !bytes.Equal(data, bin) {
			t.Fatalf("not kept in the tool cache at %s: %v", cached, err)
		}
		if len(r.cacheAfter) != 1 {
			t.Errorf("the tool cache holds more than the binary: %v", r.cacheAfter)
		}

		again := in.run(t)
		if line := in.ran(t, again, bin); !strings.Contains(line, "("+file+", from the tool cache): SHA-256 verified against the digest this composite pins") ||
			strings.HasPrefix(line, "::") || len(in.rs.Requests()) != 2 {
			t.Errorf("second run: %d requests in all:\n%s", len(in.rs.Requests()), again.stdout)
		}
		if again.bin == r.bin {
			t.Error("two runs share one private copy")
		}

		// A cached binary that changed is refused, not run, and not
		// replaced by a download that would hide it.
		os.WriteFile(cached, append(bytes.Clone(bin), 0), 0o755)
		in.refused(t, in.run(t), cached+" in the runner's tool cache is not the "+file+" of "+testVersion)
		if len(in.rs.Requests()) != 2 {
			t.Error("a tampered cache was downloaded over")
		}
	})

	// Item 7: an earlier job on a self-hosted runner plants a binary that
	// would receive this job's tokens, with a SHA256SUMS to match. The
	// digest that counts is not in the cache.
	t.Run("a planted binary and SHA256SUMS in the tool cache", func(t *testing.T) {
		t.Parallel()
		in := newInstaller(t, release{assets: good}, pins, nil)
		marker := filepath.Join(t.TempDir(), "ran")
		planted := []byte("#!/bin/sh\necho planted >" + marker + "\n")
		dir := filepath.Join(in.cache, "token-gate", testVersion, strings.TrimPrefix(file, "token-gate-"))
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, file), planted, 0o755)
		os.WriteFile(filepath.Join(dir, "SHA256SUMS"), sumsText(map[string][]byte{file: planted}), 0o644)
		r := in.run(t)
		in.refused(t, r, "its SHA-256 is "+digestOf(planted)+", and this composite pins "+pins[file])
		if _, err := os.Stat(marker); err == nil {
			t.Error("the planted binary ran")
		}
	})

	// Item 8: a release asset replaced, with a SHA256SUMS to match, is
	// refused: the digest that counts was written by the release into the
	// composite, in the commit the workflow pins.
	evil := []byte("#!/bin/sh\necho replaced\n")
	replaced := map[string][]byte{file: evil}
	replaced["SHA256SUMS"] = sumsText(replaced)

	refusals := []struct {
		name string
		rel  release
		env  map[string]string
		want string
	}{
		{"a replaced asset and SHA256SUMS", release{assets: replaced}, nil,
			"/releases/download/" + testVersion + "/" + file + " is not the " + file + " that " + testVersion + "'s release built: its SHA-256 is " + digestOf(evil) + ", and this composite, written by that release, pins " + pins[file]},
		{"a damaged download", release{assets: map[string][]byte{file: bin[:len(bin)/2]}}, nil, "The release asset was replaced or damaged"},
		{"no such asset, 404", release{}, nil, "could not download https://github.com/" + testRepo + "/releases/download/" + testVersion + "/" + file},
		{"no such asset, 403", release{missing: 403}, nil, "could not download"},
		{"a redirect to plain http", release{assets: good, plainRedirect: true}, nil, "could not download"},
		{"no digest pinned for this runner", release{assets: good}, map[string]string{"TOKEN_GATE_SHA256": strings.Repeat("0", 64) + "  token-gate-other\n"},
			"this composite pins no SHA-256 for " + file},
		{"a digest pinned twice", release{assets: good}, map[string]string{"TOKEN_GATE_SHA256": pins[file] + "  " + file + "\n" + pins[file] + "  " + file + "\n"},
			"this composite pins no SHA-256 for " + file},
		{"an unknown system", release{assets: good}, map[string]string{"RUNNER_OS": "FreeBSD"}, `runner.os FreeBSD is not supported; token-gate ships for Linux, macOS and Windows`},
		{"an unknown architecture", release{assets: good}, map[string]string{"RUNNER_ARCH": "X86"}, `runner.arch X86 is not supported; token-gate ships for X64 and ARM64`},
		{"an unreleased composite", release{assets: good}, map[string]string{"TOKEN_GATE_VERSION": Unreleased}, "this composite is from an unreleased commit"},
		{"a version that is none", release{assets: good}, map[string]string{"TOKEN_GATE_VERSION": "v1.2"}, "TOKEN_GATE_VERSION v1.2 is not vMAJOR.MINOR.PATCH"},
		{"no tool cache", release{assets: good}, map[string]string{"RUNNER_TOOL_CACHE": ""}, "RUNNER_TOOL_CACHE is not set"},
		{"a relative tool cache", release{assets: good}, map[string]string{"RUNNER_TOOL_CACHE": "cache"}, "RUNNER_TOOL_CACHE cache is not an absolute path"},
		// Item 9: a newline in a directory the runner names would start a
		// line of GITHUB_OUTPUT (and of any file command); it is refused,
		// shown escaped, and starts no workflow command.
		{"a tool cache holding a newline", release{assets: good}, map[string]string{"RUNNER_TOOL_CACHE": "/tmp/c\nbin=/tmp/evil\n::add-mask::x"},
			`RUNNER_TOOL_CACHE $'/tmp/c\nbin=/tmp/evil\n::add-mask::x' holds a control character`},
		{"a runner temp holding a newline", release{assets: good}, map[string]string{"RUNNER_TEMP": "/tmp/t\nGITHUB_PATH=/tmp/evil"},
			`RUNNER_TEMP $'/tmp/t\nGITHUB_PATH=/tmp/evil' holds a control character`},
		{"a failing attestation", release{assets: good}, map[string]string{"PATH": "gh 2.60.0 404"},
			"gh attestation verify did not confirm that " + testRepo + "'s .github/workflows/release.yml built " + file + " on a GitHub-hosted runner, so it is not run"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var gh *ghFake
			if c.env["PATH"] == "gh 2.60.0 404" {
				gh = &ghFake{version: "2.60.0", verdict: "attestation-verify-404"}
			}
			in := newInstaller(t, c.rel, pins, gh)
			for k, v := range c.env {
				if k != "PATH" {
					in.env[k] = v
				}
			}
			if c.env["RUNNER_TEMP"] != "" {
				in.temp = t.TempDir() // the one given is refused; nothing may be left in any
			}
			r := in.run(t)
			in.refused(t, r, c.want)
			for _, line := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "::") && !strings.HasPrefix(line, "::error title=token-gate composite::") {
					t.Errorf("a line starts a workflow command: %q", line)
				}
			}
		})
	}

	t.Run("a tool cache that cannot be written", func(t *testing.T) {
		t.Parallel()
		in := newInstaller(t, release{assets: good}, pins, nil)
		blocked := filepath.Join(in.cache, "token-gate")
		os.WriteFile(blocked, []byte("a file where a directory should be"), 0o644)
		r := in.run(t)
		in.ran(t, r, bin)
		if !strings.Contains(r.stdout, "::notice title=token-gate composite::could not keep "+file+" in the tool cache") {
			t.Errorf("no word on the cache:\n%s", r.stdout)
		}
	})

	t.Run("github.com answers 200 with the bytes", func(t *testing.T) {
		t.Parallel()
		in := newInstaller(t, release{assets: good, direct: true}, pins, nil)
		in.ran(t, in.run(t), bin)
	})

	// Item 9: the download's URL is not an input. A job's env, or a line
	// an earlier step wrote to GITHUB_ENV, sets what it likes: the script
	// goes to github.com, and only there.
	t.Run("a download URL from the job's env is ignored", func(t *testing.T) {
		t.Parallel()
		in := newInstaller(t, release{assets: good}, pins, nil)
		// An attacker's host: its answer copies no real server's.
		in.rs.in.Serve("evil.example", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(evil) }))
		for _, u := range []string{"http://localhost:1@evil.example/releases", "https://evil.example/releases", "http://127.0.0.1:1/"} {
			in.env["TOKEN_GATE_DOWNLOAD_URL"] = u
			in.ran(t, in.run(t), bin)
			os.RemoveAll(filepath.Join(in.cache, "token-gate"))
		}
		for _, tunnel := range in.rs.in.Tunnels() {
			if tunnel != "github.com:443" && tunnel != assetHost+":443" {
				t.Errorf("the script went to %s", tunnel)
			}
		}
	})

	// Item 9: Debian's gh 2.23 has no attestation command, and 2.50 no
	// --signer-workflow: the genuine release runs, and one line says what
	// is missing, not that the attestation is bad.
	for _, c := range []struct{ version, want string }{
		{"2.23.0", `build attestation not checked: gh version 2.23.0 (2023-02-27 Debian 2.23.0+dfsg1-1) has no "gh attestation verify --signer-workflow --deny-self-hosted-runners" (it says: unknown command "attestation" for "gh"); gh 2.51 or later has it`},
		{"2.50.0", `build attestation not checked: gh version 2.50.0 (2024-05-29) has no "gh attestation verify --signer-workflow --deny-self-hosted-runners" (it says: unknown flag: --signer-workflow); gh 2.51 or later has it`},
	} {
		t.Run("gh "+c.version, func(t *testing.T) {
			t.Parallel()
			in := newInstaller(t, release{assets: good}, pins, &ghFake{version: c.version})
			r := in.run(t)
			line := in.ran(t, r, bin)
			if !strings.HasPrefix(line, "::notice title=token-gate composite::") || !strings.HasSuffix(line, c.want) {
				t.Errorf("the line on what was verified:\n got %s\nwant …%s", line, c.want)
			}
			if strings.Contains(r.stdout, "no valid build attestation") || strings.Contains(r.stdout, "did not confirm") {
				t.Errorf("an old gh is blamed on the release:\n%s", r.stdout)
			}
			for _, call := range ghCalls(t, in.ghLog) {
				if !slices.Contains(call.args, "--help") && !slices.Equal(call.args, []string{"--version"}) {
					t.Errorf("gh %s was asked to verify: %v", c.version, call.args)
				}
			}
		})
	}

	// Item 10, on github.com: gh asks github.com, with the job's token and
	// no other, for an attestation by the release workflow on a
	// GitHub-hosted runner, whatever the job set for gh.
	t.Run("a verified attestation, on github.com", func(t *testing.T) {
		t.Parallel()
		in := newInstaller(t, release{assets: good}, pins, &ghFake{version: "2.60.0", verdict: "attestation-verify-pass"})
		in.env["GH_HOST"] = "ghes.example.com"
		in.env["GH_ENTERPRISE_TOKEN"] = enterpriseToken
		in.env["GITHUB_TOKEN"] = otherToken
		in.env["GH_DEBUG"] = "api"
		r := in.run(t)
		line := in.ran(t, r, bin)
		if want := "; build attestation verified: built by " + testRepo + "'s .github/workflows/release.yml on a GitHub-hosted runner"; !strings.HasSuffix(line, want) || strings.HasPrefix(line, "::") {
			t.Errorf("the line on what was verified:\n got %s\nwant …%s", line, want)
		}
		var verify *ghCall
		for _, call := range ghCalls(t, in.ghLog) {
			if call.env["GH_HOST"] != "github.com" || call.env["GH_TOKEN"] != jobToken || call.env["GH_ENTERPRISE_TOKEN"] != "<unset>" ||
				call.env["GITHUB_TOKEN"] != "<unset>" || call.env["GH_DEBUG"] != "<unset>" || !strings.HasPrefix(call.env["GH_CONFIG_DIR"], in.temp) {
				t.Errorf("gh %v ran with %v", call.args, call.env)
			}
			if len(call.args) > 2 && call.args[1] == "verify" && !slices.Contains(call.args, "--help") {
				verify = &call
			}
		}
		if verify == nil {
			t.Fatal("gh attestation verify was not run")
		}
		want := []string{"attestation", "verify", verify.args[2], "--repo", testRepo, "--signer-workflow", testRepo + "/.github/workflows/release.yml", "--deny-self-hosted-runners"}
		if diff := cmp.Diff(want, verify.args); diff != "" {
			t.Errorf("gh's arguments (-want +got):\n%s", diff)
		}
	})

	t.Run("a job without a token", func(t *testing.T) {
		t.Parallel()
		in := newInstaller(t, release{assets: good}, pins, &ghFake{version: "2.60.0", verdict: "attestation-verify-pass"})
		in.env["TOKEN_GATE_JOB_TOKEN"] = ""
		in.env["GH_TOKEN"] = otherToken
		if line := in.ran(t, in.run(t), bin); !strings.HasSuffix(line, "build attestation not checked: the job has no token (github.token is empty) to ask github.com for it") {
			t.Errorf("the line on what was verified: %s", line)
		}
		if calls := ghCalls(t, in.ghLog); len(calls) > 0 {
			t.Errorf("gh ran with a token the job did not give: %v", calls)
		}
	})

	// Item 10, elsewhere: the job's token is for GHES or GHE.com, not for
	// github.com, where the attestation lives; it goes nowhere, gh is not
	// asked (a GHES GH_HOST would make it refuse), and the line says so.
	for _, server := range []string{"https://ghes.example.com", "https://octocorp.ghe.com"} {
		t.Run("a job on "+server, func(t *testing.T) {
			t.Parallel()
			in := newInstaller(t, release{assets: good}, pins, &ghFake{version: "2.60.0", verdict: "attestation-verify-pass"})
			in.env["TOKEN_GATE_SERVER_URL"] = server
			in.env["GH_HOST"] = strings.TrimPrefix(server, "https://")
			in.env["GH_ENTERPRISE_TOKEN"] = enterpriseToken
			r := in.run(t)
			line := in.ran(t, r, bin)
			want := "build attestation not checked: this job runs on " + server + ", and its token is for that server, not for github.com, where " + testRepo + "'s release and its attestation live"
			if !strings.HasPrefix(line, "::notice") || !strings.HasSuffix(line, want) {
				t.Errorf("the line on what was verified:\n got %s\nwant …%s", line, want)
			}
			if calls := ghCalls(t, in.ghLog); len(calls) > 0 {
				t.Errorf("gh ran on %s: %v", server, calls)
			}
			for _, tunnel := range in.rs.in.Tunnels() {
				if !slices.Contains([]string{"github.com:443", assetHost + ":443"}, tunnel) {
					t.Errorf("the script went to %s", tunnel)
				}
			}
		})
	}
}

// The script with a real gh, where one is installed: CI installs Debian's
// 2.23 (.ci/run), and TOKEN_GATE_TEST_GH may name another, e.g. one built
// from cli/cli's source. Its flags, its host and its token are then gh's
// own business, against a fake api.github.com that has no attestation
// (GitHub's generic 404, testdata/answers/not-found-404.json): a gh that
// can check refuses the binary, having sent the job's token to
// api.github.com and nowhere else; one that cannot is named, and the
// binary runs; a job on GHES sends nothing to github.com at all.
func TestInstallWithRealGH(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the install script's runs are in the full suite")
	}
	t.Parallel()
	_, _, file := hostPlatform(t)
	bin, err := built()
	if err != nil {
		t.Fatal(err)
	}
	pins := digestsFor(file, bin)
	var ghs []string
	if p, err := exec.LookPath("gh"); err == nil {
		ghs = append(ghs, p)
	}
	if p := os.Getenv("TOKEN_GATE_TEST_GH"); p != "" {
		ghs = append(ghs, p)
	}
	if len(ghs) == 0 {
		t.Skip("no gh installed (apt-get install gh; or TOKEN_GATE_TEST_GH=path)")
	}
	for _, gh := range ghs {
		cmd := exec.Command(gh, "attestation", "verify", "--help")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GH_CONFIG_DIR=" + t.TempDir()}
		help, _ := cmd.CombinedOutput()
		version, _ := exec.Command(gh, "--version").Output()
		// Told apart by its help, not the way the script tells.
		capable := strings.Contains(string(help), "--signer-workflow string") && strings.Contains(string(help), "--deny-self-hosted-runners")
		t.Run(strings.SplitN(string(version), "\n", 2)[0], func(t *testing.T) {
			t.Logf("%s, can check: %v", gh, capable)
			for _, server := range []string{"https://github.com", "https://ghes.example.com"} {
				in := newInstaller(t, release{assets: map[string][]byte{file: bin}}, pins, nil)
				if err := os.Symlink(gh, filepath.Join(in.path, "gh")); err != nil {
					t.Fatal(err)
				}
				for _, host := range []string{"api.github.com", "ghes.example.com", "api.ghes.example.com"} {
					in.rs.in.Serve(host, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						in.rs.record(r)
						fake.Recorded("not-found-404").Write(w)
					}))
				}
				in.env["TOKEN_GATE_SERVER_URL"] = server
				in.env["GH_HOST"] = "ghes.example.com"
				in.env["GH_ENTERPRISE_TOKEN"] = enterpriseToken
				r := in.run(t)
				var asked []recorded
				for _, req := range in.rs.Requests() {
					if req.host != "github.com" && req.host != assetHost {
						asked = append(asked, req)
					}
				}
				switch {
				case server != "https://github.com" || !capable:
					if line := in.ran(t, r, bin); !strings.HasPrefix(line, "::notice") || !strings.Contains(line, "build attestation not checked: ") {
						t.Errorf("%s: %s", server, line)
					}
					if len(asked) > 0 {
						t.Errorf("%s: gh asked %v", server, asked)
					}
				default:
					in.refused(t, r, "gh attestation verify did not confirm that "+testRepo+"'s .github/workflows/release.yml built "+file)
					want := "/repos/" + testRepo + "/attestations/sha256:" + pins[file]
					if len(asked) != 1 || asked[0].host != "api.github.com" || asked[0].path != want || asked[0].authorization != "token "+jobToken {
						t.Errorf("gh asked %v; want one GET %s on api.github.com with the job's token", asked, want)
					}
				}
			}
		})
	}
}
