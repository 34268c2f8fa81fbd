package suppress

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/token-gate/token-gate/internal/finding"
)

const file = ".github/workflows/release.yml"

// source is a workflow whose every line that matters is numbered in its
// comments; the findings below stand on those lines.
const source = `on: push
jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3 # token-gate: ignore[unchecked-credential]
        with:
          registry: ghcr.io
          # token-gate: ignore[publish-before-check, image-not-probed]
          password: ${{ secrets.CR_PAT }}
      - uses: docker/login-action@v3 # token-gate: ignore[unresolved]
        with:
          password: ${{ secrets.HUB }}
      - name: "quoted # token-gate: ignore[unchecked-credential]"
        run: |
          echo done # token-gate: ignore[unchecked-credential]
          docker login -p x
      # token-gate: ignore[unchecked-credential]

      - uses: docker/login-action@v3 #token-gate:ignore[probed-not-pushd]
`

func at(line int, code finding.Code) finding.Finding {
	return finding.Finding{Code: code, Severity: finding.Error, Place: finding.Place{File: file, Line: line, Column: 9}, Message: fmt.Sprint(line)}
}

// Each finding is suppressed exactly by a comment on its line, or by one
// alone on the line above, naming its code; nothing else suppresses it.
func TestApply(t *testing.T) {
	t.Parallel()
	cs := Read(map[string][]byte{file: []byte(source)})
	cases := []struct {
		f       finding.Finding
		comment int // 0: not suppressed
		why     string
	}{
		{at(6, "unchecked-credential"), 6, "a trailing comment on its line"},
		{at(6, "publish-before-check"), 0, "its line's comment names another code"},
		{at(10, "publish-before-check"), 9, "a comment alone on the line above"},
		{at(10, "image-not-probed"), 9, "the second of two codes, after a space"},
		{at(12, "unresolved"), 0, "a trailing comment two lines above"},
		{at(12, "unchecked-credential"), 0, "a trailing comment on the line above (not alone) speaks of its own line"},
		{at(14, "unchecked-credential"), 0, "the words inside a quoted string"},
		{at(16, "unchecked-credential"), 0, "the words inside a run: script"},
		{at(17, "unchecked-credential"), 0, "a shell comment on the line above in a run: script"},
		{at(20, "unchecked-credential"), 0, "a comment alone two lines above, past a blank line"},
		{finding.Finding{Code: "unchecked-credential", Place: finding.Place{File: ".github/workflows/other.yml", Line: 6}}, 0, "another file"},
	}
	var fs []finding.Finding
	for _, c := range cases {
		fs = append(fs, c.f)
	}
	got := cs.Apply(finding.Report{Findings: fs})
	var wantKept []finding.Finding
	var wantSuppressed []finding.SuppressedFinding
	for _, c := range cases {
		if c.comment == 0 {
			wantKept = append(wantKept, c.f)
		} else {
			wantSuppressed = append(wantSuppressed, finding.SuppressedFinding{Finding: c.f, CommentLine: c.comment})
		}
	}
	for _, c := range cases {
		kept := slices.ContainsFunc(got.Findings, func(f finding.Finding) bool { return reflect.DeepEqual(f, c.f) })
		if kept != (c.comment == 0) {
			t.Errorf("line %d %s (%s): kept = %v", c.f.Line, c.f.Code, c.why, kept)
		}
	}
	if !reflect.DeepEqual(got.Findings, wantKept) || !reflect.DeepEqual(got.Suppressed, wantSuppressed) {
		t.Errorf("kept %v\nsuppressed %v", got.Findings, got.Suppressed)
	}
	// An error it suppressed no longer fails the audit.
	one := cs.Apply(finding.Report{Findings: []finding.Finding{at(6, "unchecked-credential")}})
	if one.HasErrors() || len(one.Suppressed) != 1 {
		t.Errorf("a suppressed error still fails: %+v", one)
	}
}

// The comments found, as written: codes trimmed, no space needed after #
// or the colon, and one line that parses as a comment in a file that is
// not YAML at all.
func TestRead(t *testing.T) {
	t.Parallel()
	cs := Read(map[string][]byte{
		file:                          []byte(source),
		".github/workflows/bad.yml":   []byte("jobs: [\n  x # token-gate: ignore[unreadable-workflow]\n"),
		".github/workflows/plain.yml": []byte("on: push\n"),
	})
	var got []string
	for _, c := range cs.All() {
		got = append(got, fmt.Sprintf("%s:%d alone=%v %v", c.File, c.Line, c.Alone, c.Codes))
	}
	want := []string{
		".github/workflows/bad.yml:2 alone=false [unreadable-workflow]",
		file + ":6 alone=false [unchecked-credential]",
		file + ":9 alone=true [publish-before-check image-not-probed]",
		file + ":11 alone=false [unresolved]",
		file + ":18 alone=true [unchecked-credential]",
		file + ":20 alone=false [probed-not-pushd]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("comments:\n%q\nwant\n%q", got, want)
	}
	unknown := cs.Unknown([]finding.Code{"unchecked-credential", "publish-before-check", "image-not-probed", "probed-not-pushed", "unresolved", "unreadable-workflow"})
	if len(unknown) != 1 || unknown[0].Line != 20 || !slices.Equal(unknown[0].Codes, []finding.Code{"probed-not-pushd"}) {
		t.Errorf("unknown codes: %+v", unknown)
	}
}

// CR and CRLF line ends number lines as YAML does.
func TestLineEnds(t *testing.T) {
	t.Parallel()
	for _, sep := range []string{"\r\n", "\r"} {
		src := "on: push" + sep + "jobs:" + sep + "  # token-gate: ignore[unresolved]" + sep + "  a: {runs-on: x, steps: [{run: y}]}" + sep
		got := Read(map[string][]byte{file: []byte(src)}).Apply(finding.Report{Findings: []finding.Finding{at(4, "unresolved")}})
		if len(got.Suppressed) != 1 || got.Suppressed[0].CommentLine != 3 {
			t.Errorf("%q: %+v", sep, got)
		}
	}
}

// Quoted strings that span lines, hold escaped quotes or sit in flow
// collections, and block scalars of either kind: a "#" in them is text.
func TestTextHidesComments(t *testing.T) {
	t.Parallel()
	src := `on: push
env:
  A: 'it''s # token-gate: ignore[unresolved]'
  B: "say \"# token-gate: ignore[unresolved]\""
  C: "two lines
    # token-gate: ignore[unresolved]"
  D: {x: "# token-gate: ignore[unresolved]"} # token-gate: ignore[unresolved]
  E: >-
    folded
    # token-gate: ignore[unresolved]
  F: | # token-gate: ignore[unresolved]
    x
`
	var got []int
	for _, c := range Read(map[string][]byte{file: []byte(src)}).All() {
		got = append(got, c.Line)
	}
	if want := []int{7, 11}; !slices.Equal(got, want) {
		t.Errorf("comments on lines %v; want %v", got, want)
	}
}
