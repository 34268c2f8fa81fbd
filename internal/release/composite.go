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

// Composite writes composite/action.yml from action.yml: the same inputs,
// defaults and descriptions, the same outputs, each taken from the step
// that runs the binary, and two steps: install.sh fetches and verifies the
// release binary of version for the runner, and the binary runs with
// every input passed as INPUT_<NAME> in env, as the runner passes them to
// the container, so that no input is ever put into a script. Generating it
// keeps the two from drifting; TestCompositeIsGenerated checks the file.
func Composite(actionYML []byte, version string) ([]byte, error) {
	if version != Unreleased && !versionPattern.MatchString(version) {
		return nil, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH", version)
	}
	sections, err := topSections(actionYML)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# Generated from action.yml by internal/release (go test ./internal/release -update);\n")
	b.WriteString("# a release writes its version below. Use it where the container action cannot\n")
	b.WriteString("# run: macOS and Windows runners, ARC runners in Kubernetes mode, no Docker.\n")
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
    # The binary of this release for runner.os and runner.arch, checked
    # against the release's SHA256SUMS and, where gh is installed, its build
    # attestation; kept in the runner's tool cache.
    - id: install
      shell: bash
      env:
        TOKEN_GATE_VERSION: %s
        TOKEN_GATE_REPOSITORY: token-gate/token-gate
        GH_TOKEN: ${{ github.token }}
      run: bash "$GITHUB_ACTION_PATH/install.sh"
    - id: gate
      shell: bash
      env:
        TOKEN_GATE_BIN: ${{ steps.install.outputs.bin }}
`, version)
	for _, in := range inputs {
		fmt.Fprintf(&b, "        %s: ${{ inputs.%s }}\n", "INPUT_"+strings.ToUpper(in), in)
	}
	b.WriteString("      run: '\"$TOKEN_GATE_BIN\"'\n")
	return b.Bytes(), nil
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
