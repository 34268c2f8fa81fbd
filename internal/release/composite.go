package release

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Unreleased is the version composite/action.yml holds between releases:
// the install script then says to use a release, which has binaries.
const Unreleased = "unreleased"

var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)

// Targets are the release's binaries, one per runner.os and runner.arch the
// composite runs on, named as the release workflow builds them.
var Targets = []string{
	"token-gate-darwin-amd64",
	"token-gate-darwin-arm64",
	"token-gate-linux-amd64",
	"token-gate-linux-arm64",
	"token-gate-windows-amd64.exe",
	"token-gate-windows-arm64.exe",
}

// Digests are the SHA-256 of each of a release's Targets, in lowercase hex,
// by file name.
type Digests map[string]string

var sumLine = regexp.MustCompile(`^([0-9a-f]{64}) [ *](\S+)$`)

// ParseSums reads the SHA256SUMS the release workflow writes (sha256sum's
// output: "HEX  NAME" a line, or "HEX *NAME" in binary mode) and returns a
// digest for every target. A missing, repeated or unknown name, or a line
// that is not a sum, is refused: a release pins all of its binaries, and
// nothing else.
func ParseSums(data []byte) (Digests, error) {
	known := map[string]bool{}
	for _, t := range Targets {
		known[t] = true
	}
	d := Digests{}
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		m := sumLine.FindStringSubmatch(strings.TrimSuffix(line, "\r"))
		switch {
		case m == nil:
			return nil, fmt.Errorf("SHA256SUMS line %d, %q, is not 64 lowercase hex digits, two spaces and a file name", i+1, clip(line))
		case !known[m[2]]:
			return nil, fmt.Errorf("SHA256SUMS line %d names %q, which is not a release binary (%s)", i+1, clip(m[2]), strings.Join(Targets, ", "))
		case d[m[2]] != "":
			return nil, fmt.Errorf("SHA256SUMS names %s twice", m[2])
		}
		d[m[2]] = m[1]
	}
	for _, t := range Targets {
		if d[t] == "" {
			return nil, fmt.Errorf("SHA256SUMS has no line for %s; a release pins every binary", t)
		}
	}
	return d, nil
}

// clip keeps a quoted line of a bad file short.
func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}

// Composite writes composite/action.yml from action.yml: the same inputs,
// defaults and descriptions, the same outputs, each taken from the step
// that runs the binary, and two steps: install.sh fetches the release
// binary of version for the runner and checks it against its digest, and
// the binary runs with every input passed as INPUT_<NAME> in env, as the
// runner passes them to the container, so that no input is ever put into a
// script. Generating it keeps the two from drifting;
// TestCompositeIsGenerated checks the file.
//
// A release writes its version and the digest of every binary into the
// install step's env: a workflow that pins the composite by commit runs
// exactly those bytes, whatever the release's assets or the runner's tool
// cache hold. The runner gives a composite step's own env precedence over
// the job's (docs/facts.md, "Composite actions"), so no job can change
// them. Unreleased has no digests, and a version needs all of them.
func Composite(actionYML []byte, version string, digests Digests) ([]byte, error) {
	if version != Unreleased && !versionPattern.MatchString(version) {
		return nil, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH", version)
	}
	pinned, err := pinnedSums(version, digests)
	if err != nil {
		return nil, err
	}
	sections, err := topSections(actionYML)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# Generated from action.yml by internal/release (go test ./internal/release -update);\n")
	b.WriteString("# a release writes its version and its binaries' SHA-256 below. Use it where the\n")
	b.WriteString("# container action cannot run: macOS and Windows runners, ARC runners in\n")
	b.WriteString("# Kubernetes mode, no Docker. Pin it by the release's commit SHA.\n")
	for _, line := range strings.Split(strings.TrimRight(sections["head"], "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "name:"):
			b.WriteString("name: token-gate (composite)\n")
		case strings.HasPrefix(line, "description:"):
			b.WriteString(line + " Runs the release binary, verified, on any runner.\n")
		default:
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\n" + sections["inputs"])
	outputs, names := withValues(sections["outputs"])
	b.WriteString(outputs)
	inputs := keys(sections["inputs"])
	if len(inputs) == 0 || len(names) == 0 {
		return nil, fmt.Errorf("action.yml declares %d inputs and %d outputs", len(inputs), len(names))
	}
	fmt.Fprintf(&b, `runs:
  using: composite
  steps:
    # The binary of this release for runner.os and runner.arch, which must
    # have the SHA-256 written here, downloaded or from the runner's tool
    # cache; where gh can, its build attestation is checked too. The job's
    # token goes to gh only on github.com, where the release lives.
    - id: install
      shell: bash
      env:
        TOKEN_GATE_VERSION: %s
        TOKEN_GATE_REPOSITORY: token-gate/token-gate
        TOKEN_GATE_SHA256: %s
        TOKEN_GATE_SERVER_URL: ${{ github.server_url }}
        TOKEN_GATE_JOB_TOKEN: ${{ github.token }}
      run: bash "$GITHUB_ACTION_PATH/install.sh"
    - id: gate
      shell: bash
      env:
        TOKEN_GATE_BIN: ${{ steps.install.outputs.bin }}
`, version, pinned)
	for _, in := range inputs {
		fmt.Fprintf(&b, "        %s: ${{ inputs.%s }}\n", "INPUT_"+strings.ToUpper(in), in)
	}
	b.WriteString("      run: '\"$TOKEN_GATE_BIN\"'\n")
	return b.Bytes(), nil
}

// pinnedSums is TOKEN_GATE_SHA256's value in the composite: empty between
// releases, and a release's digests as a YAML literal block, one
// sha256sum line a target, in Targets' order.
func pinnedSums(version string, digests Digests) (string, error) {
	if version == Unreleased {
		if len(digests) > 0 {
			return "", fmt.Errorf("an unreleased composite pins no digests; got %d", len(digests))
		}
		return "''", nil
	}
	if len(digests) != len(Targets) {
		return "", fmt.Errorf("release %s needs the SHA-256 of each of its %d binaries; got %d", version, len(Targets), len(digests))
	}
	var b strings.Builder
	b.WriteString("|")
	for _, t := range Targets {
		sum := digests[t]
		if !sumLine.MatchString(sum + "  " + t) {
			return "", fmt.Errorf("the SHA-256 of %s, %q, is not 64 lowercase hex digits", t, clip(sum))
		}
		b.WriteString("\n          " + sum + "  " + t)
	}
	return b.String(), nil
}

// topSections splits a file into its head (everything before inputs:), and
// its inputs: and outputs: sections, each with its key line.
func topSections(src []byte) (map[string]string, error) {
	out := map[string]string{}
	current := "head"
	for _, line := range strings.SplitAfter(string(src), "\n") {
		text := strings.TrimRight(line, "\r\n")
		switch text {
		case "inputs:", "outputs:", "runs:":
			current = strings.TrimSuffix(text, ":")
		}
		out[current] += line
	}
	for _, s := range []string{"inputs", "outputs", "runs"} {
		if out[s] == "" {
			return nil, fmt.Errorf("action.yml has no %s: section", s)
		}
	}
	return out, nil
}

// keys lists a section's two-space keys.
func keys(section string) []string {
	var out []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(line), ":"))
		}
	}
	return out
}

// withValues adds, after each output's lines, the value a composite output
// needs: the gate step's output of the same name.
func withValues(section string) (string, []string) {
	var b strings.Builder
	var names []string
	lines := strings.Split(strings.TrimRight(section, "\n"), "\n")
	for i, line := range lines {
		b.WriteString(line + "\n")
		if i == 0 {
			continue
		}
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":") {
			names = append(names, strings.TrimSuffix(strings.TrimSpace(line), ":"))
		}
		next := ""
		if i+1 < len(lines) {
			next = lines[i+1]
		}
		// The output's block ends where the next output begins, or the
		// section does.
		if len(names) > 0 && (next == "" || strings.HasPrefix(next, "  ") && !strings.HasPrefix(next, "   ")) {
			fmt.Fprintf(&b, "    value: ${{ steps.gate.outputs.%s }}\n", names[len(names)-1])
		}
	}
	b.WriteString("\n")
	return b.String(), names
}
