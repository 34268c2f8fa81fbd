package expr

import "strings"

// What a parsed expression refers to (Refs, TextRefs), how it is written
// back as text (Format), and how part of it is replaced (Rewrite).

// TextRefs lists every property path the expressions in text refer to,
// in order: text is a workflow value, its expressions inside ${{ }}; one
// that does not parse refers to nothing.
func TextRefs(text string) [][]string {
	segs, _ := Scan(text)
	var out [][]string
	for _, seg := range segs {
		if !seg.Expr {
			continue
		}
		if parsed, err := Parse(seg.Text); err == nil {
			out = append(out, Refs(parsed)...)
		}
	}
	return out
}

// Mentions reports whether text holds word in any case (ASCII), as a
// context name may be written: a cheap test before TextRefs.
func Mentions(text, word string) bool {
	n := len(word)
	for i := 0; i+n <= len(text); i++ {
		j := 0
		for j < n && lowerASCII(text[i+j]) == lowerASCII(word[j]) {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// Refs lists every property path the expression refers to, in order.
func Refs(n Node) [][]string {
	var out [][]string
	inspect(n, func(n Node) bool {
		if p, ok := n.(Property); ok {
			out = append(out, p.Path)
		}
		return true
	})
	return out
}

// inspect calls f on n and, depth first, on every node under it, going
// below a node only while f returns true: the one walk over the tree that
// Refs and HasStatus share.
func inspect(n Node, f func(Node) bool) {
	if !f(n) {
		return
	}
	switch n := n.(type) {
	case Index:
		inspect(n.X, f)
		inspect(n.I, f)
	case Call:
		for _, a := range n.Args {
			inspect(a, f)
		}
	case Not:
		inspect(n.X, f)
	case Binary:
		inspect(n.L, f)
		inspect(n.R, f)
	case Keyed:
		inspect(n.X, f)
	}
}

// Format writes an expression back as text in one canonical form, so that
// two conditions written alike (spacing, quotes, case of names) read as the
// same condition.
func Format(n Node) string {
	var b strings.Builder
	writeNode(&b, n, 0)
	return b.String()
}

// precedence of each operator, higher binds tighter.
var precedence = map[string]int{"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3}

func writeNode(b *strings.Builder, n Node, outer int) {
	switch n := n.(type) {
	case Literal:
		switch v := n.Value.(type) {
		case string:
			b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
		default:
			b.WriteString(String(v))
			if v == nil {
				b.WriteString("null")
			}
		}
	case Property:
		for i, p := range n.Path {
			switch {
			case i == 0:
				b.WriteString(strings.ToLower(p))
			case p == "*":
				b.WriteString(".*")
			case isName(p):
				b.WriteString("." + strings.ToLower(p))
			default:
				b.WriteString("['" + strings.ReplaceAll(strings.ToLower(p), "'", "''") + "']")
			}
		}
	case Index:
		writeNode(b, n.X, 4)
		b.WriteString("[")
		writeNode(b, n.I, 0)
		b.WriteString("]")
	case Call:
		b.WriteString(n.Name + "(")
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeNode(b, a, 0)
		}
		b.WriteString(")")
	case Not:
		b.WriteString("!")
		writeNode(b, n.X, 4)
	case Keyed:
		writeNode(b, n.X, outer)
	case Binary:
		p := precedence[n.Op]
		if p < outer {
			b.WriteString("(")
		}
		writeNode(b, n.L, p)
		b.WriteString(" " + n.Op + " ")
		writeNode(b, n.R, p+1)
		if p < outer {
			b.WriteString(")")
		}
	}
}

// isName reports a path element that can be written after a dot.
func isName(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// Rewrite returns n with every property that f answers replaced by f's
// node: a called workflow's inputs.X by the expression its caller passes.
func Rewrite(n Node, f func(Property) (Node, bool)) Node {
	switch n := n.(type) {
	case Property:
		if m, ok := f(n); ok {
			return m
		}
		return n
	case Index:
		return Index{X: Rewrite(n.X, f), I: Rewrite(n.I, f)}
	case Call:
		args := make([]Node, len(n.Args))
		for i, a := range n.Args {
			args[i] = Rewrite(a, f)
		}
		return Call{Name: n.Name, Args: args}
	case Not:
		return Not{X: Rewrite(n.X, f)}
	case Binary:
		return Binary{Op: n.Op, L: Rewrite(n.L, f), R: Rewrite(n.R, f)}
	case Keyed:
		return Rewrite(n.X, f)
	}
	return n
}
