package expr

import (
	"strings"
)

// Interpolate evaluates every expression in s and puts its value in its
// place. It reports false, with the text so far, when an expression is
// unknown or unreadable; unknown is then called with the expression.
func Interpolate(s string, lookup Lookup, unknown func(expr string) string) (string, bool) {
	return Compile(s).Interpolate(lookup, unknown)
}

// Template is a string with its expressions parsed once, for a caller
// that fills it in many contexts (every combination of a matrix).
type Template struct {
	segs  []Segment
	nodes []Node // per segment: the parsed expression, nil for text or one that does not parse
	bad   bool   // the string does not scan: it is kept as it is
	text  string
}

// Compile scans and parses s.
func Compile(s string) Template {
	segs, err := Scan(s)
	if err != nil {
		return Template{bad: true, text: s}
	}
	t := Template{segs: segs, nodes: make([]Node, len(segs)), text: s}
	for i, seg := range segs {
		if seg.Expr {
			if n, err := Parse(seg.Text); err == nil {
				t.nodes[i] = n
			}
		}
	}
	return t
}

// Whole reports a string that is one expression and nothing else, and
// that expression; ok is false when it does not parse (or the string does
// not scan).
func (t Template) Whole() (n Node, whole, ok bool) {
	if t.bad {
		return nil, true, false
	}
	if len(t.segs) != 1 || !t.segs[0].Expr {
		return nil, false, false
	}
	return t.nodes[0], true, t.nodes[0] != nil
}

// Interpolate is the package's Interpolate, on a compiled string.
func (t Template) Interpolate(lookup Lookup, unknown func(expr string) string) (string, bool) {
	if t.bad {
		return t.text, false
	}
	var b strings.Builder
	known := true
	for i, seg := range t.segs {
		if !seg.Expr {
			b.WriteString(seg.Text)
			continue
		}
		if n := t.nodes[i]; n != nil {
			if v, ok := Eval(n, lookup); ok {
				b.WriteString(String(v))
				continue
			}
		}
		known = false
		if unknown != nil {
			b.WriteString(unknown(seg.Text))
		}
	}
	return b.String(), known
}
