package expr

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []Segment
		err  bool
	}{
		{"plain", []Segment{{Text: "plain"}}, false},
		{"ghcr.io/aibrix/${{ matrix.component.name }}:${{ github.sha }}", []Segment{
			{Text: "ghcr.io/aibrix/"}, {Expr: true, Text: "matrix.component.name", Offset: 15}, {Text: ":", Offset: 43}, {Expr: true, Text: "github.sha", Offset: 44}}, false},
		{"${{ '}}' }}x", []Segment{{Expr: true, Text: "'}}'"}, {Text: "x", Offset: 11}}, false},
		{"${{ 'it''s' }}", []Segment{{Expr: true, Text: "'it''s'"}}, false},
		{"a ${{ b", nil, true},
		{"${{ 'never }}", nil, true},
		{"", nil, false},
	}
	for _, tc := range tests {
		got, err := Scan(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("Scan(%q) error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err {
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Scan(%q) (-want +got):\n%s", tc.in, diff)
			}
		}
	}
}

func TestEval(t *testing.T) {
	t.Parallel()
	matrix := map[string]any{"component": map[string]any{"name": "runtime", "file": "Dockerfile"}, "os": "linux"}
	lookup := func(path []string) (any, bool) {
		if strings.EqualFold(path[0], "matrix") {
			var v any = matrix
			for _, p := range path[1:] {
				v = index(v, p)
			}
			return v, true
		}
		return nil, false
	}
	tests := []struct {
		in    string
		want  any
		known bool
	}{
		{"matrix.component.name", "runtime", true},
		{"matrix['component']['name']", "runtime", true},
		{"matrix.component.context || '.'", ".", true},
		{"matrix.component.file && 'yes'", "yes", true},
		{"format('{0}/{1}', 'aibrix', matrix.component.name)", "aibrix/runtime", true},
		{"format('{{0}}')", "{0}", true},
		{"matrix.os == 'LINUX'", true, true},
		{"!matrix.missing", true, true},
		{"contains(fromJSON('[\"a\",\"b\"]'), 'B')", true, true},
		{"join(fromJSON('[\"a\",\"b\"]'), '-')", "a-b", true},
		{"startsWith(github.ref, 'refs/tags/')", nil, false},
		{"github.sha", nil, false},
		{"secrets.TOKEN || 'x'", nil, false},
		{"hashFiles('**/go.sum')", nil, false},
		{"1 < 2", true, true},
		{"0x10 == 16", true, true},
		{"-1 < 0", true, true},
		{"null == null", true, true},
	}
	for _, tc := range tests {
		n, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		got, known := Eval(n, lookup)
		if known != tc.known || known && !cmp.Equal(got, tc.want) {
			t.Errorf("Eval(%q) = %v, %v; want %v, %v", tc.in, got, known, tc.want, tc.known)
		}
	}
}

func TestRefs(t *testing.T) {
	t.Parallel()
	n, err := Parse("secrets.A || secrets['B-C'] && github.token != env.X || steps.meta.outputs.tags")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"secrets", "A"}, {"secrets", "B-C"}, {"github", "token"}, {"env", "X"}, {"steps", "meta", "outputs", "tags"}}
	if diff := cmp.Diff(want, Refs(n)); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"a.", "f(", "(a", "a[1", "'x", "a == ", "a @ b", "a.''"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestInterpolate(t *testing.T) {
	t.Parallel()
	lookup := func(path []string) (any, bool) {
		if path[0] == "matrix" && len(path) == 2 && path[1] == "name" {
			return "runtime", true
		}
		return nil, false
	}
	got, ok := Interpolate("aibrix/${{ matrix.name }}:${{ github.sha }}", lookup, func(e string) string { return "<" + e + ">" })
	if ok || got != "aibrix/runtime:<github.sha>" {
		t.Errorf("Interpolate = %q, %v", got, ok)
	}
	got, ok = Interpolate("aibrix/${{ matrix.name }}", lookup, nil)
	if !ok || got != "aibrix/runtime" {
		t.Errorf("Interpolate = %q, %v", got, ok)
	}
}

// FuzzScan holds the scanner to its promises on any input: it never
// panics, its segments cover the string in order, and an expression
// segment starts with ${{.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"ghcr.io/${{ matrix.x }}:${{ github.sha }}", "${{ '}}' }}", "${{", "}}", "${{ 'a''b' }}", "$${{ x }}", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		segs, err := Scan(s)
		last := -1
		for _, seg := range segs {
			if seg.Offset <= last || seg.Offset > len(s) {
				t.Fatalf("Scan(%q): segment at %d after %d", s, seg.Offset, last)
			}
			last = seg.Offset
			if seg.Expr && !strings.HasPrefix(s[seg.Offset:], "${{") {
				t.Fatalf("Scan(%q): expression at %d does not start with ${{", s, seg.Offset)
			}
			if !seg.Expr && !strings.HasPrefix(s[seg.Offset:], seg.Text) {
				t.Fatalf("Scan(%q): text %q is not at %d", s, seg.Text, seg.Offset)
			}
			if seg.Expr {
				if n, perr := Parse(seg.Text); perr == nil {
					Eval(n, func([]string) (any, bool) { return nil, false })
					Refs(n)
				}
			}
		}
		if err == nil && !strings.Contains(s, "${{") && (len(segs) != 1 && s != "" || len(segs) == 1 && segs[0].Text != s) {
			t.Fatalf("Scan(%q) = %+v for a string with no expression", s, segs)
		}
	})
}

// No input makes the reader recurse without bound: an expression deeper
// or longer than GitHub reads is refused, as GitHub refuses it.
func TestParseBounds(t *testing.T) {
	for _, c := range []struct {
		src, want string
	}{
		{strings.Repeat("(", 51) + "true" + strings.Repeat(")", 51), "nests more than 50 levels deep"},
		{strings.Repeat("!", 60) + "true", "nests more than 50 levels deep"},
		{strings.Repeat("(", 1_000_000) + "true" + strings.Repeat(")", 1_000_000), "more than GitHub reads (21000)"},
		{"a" + strings.Repeat(" || a", 4000), ""},
	} {
		_, err := Parse(c.src)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%.20s…: %v", c.src, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%.20s…: %v; want %q", c.src, err, c.want)
		}
	}
	// The expression itself is the first level.
	if _, err := Parse(strings.Repeat("(", 49) + "true" + strings.Repeat(")", 49)); err != nil {
		t.Errorf("50 levels: %v", err)
	}
}

// Truth decides what && and || decide, asks atoms for the rest, and reads
// the status functions from the run.
func TestTruth(t *testing.T) {
	look := func(path []string) (any, bool) {
		if strings.Join(path, ".") == "github.event_name" {
			return "push", true
		}
		return nil, false
	}
	for src, want := range map[string]string{
		"github.event_name == 'push'":                     "true",
		"github.event_name == 'pull_request' && vars.x":   "false",
		"github.event_name == 'push' || vars.x":           "true",
		"vars.x == 'a'":                                   "atom vars.x == 'a'",
		"!(vars.x == 'a')":                                "atom vars.x == 'a'",
		"always() && vars.x":                              "atom vars.x",
		"failure()":                                       "false",
		"success() && github.event_name == 'push'":        "true",
		"github.event_name != 'push' || vars.y && vars.z": "atom vars.y",
	} {
		n, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		asked := ""
		v, known := Truth(KeyLeaves(n), look, Status{Success: true}, func(key string) (bool, bool) {
			if asked == "" {
				asked = key
			}
			return false, false
		})
		got := "false"
		switch {
		case !known:
			got = "atom " + asked
		case v:
			got = "true"
		}
		if got != want {
			t.Errorf("%s: %s; want %s", src, got, want)
		}
	}
}

// Format writes one canonical form, so that conditions written alike are
// one atom.
func TestFormat(t *testing.T) {
	for _, pair := range [][2]string{
		{"github.ref == 'refs/heads/main'", "GITHUB.REF=='refs/heads/main'"},
		{"a && (b || c)", "a&&(b||c)"},
		{"secrets['X']", "secrets.x"},
		{"!a", "! a"},
	} {
		x, _ := Parse(pair[0])
		y, _ := Parse(pair[1])
		if Format(x) != Format(y) {
			t.Errorf("%q and %q: %q, %q", pair[0], pair[1], Format(x), Format(y))
		}
	}
}
