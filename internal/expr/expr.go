// Package expr reads GitHub Actions expressions, ${{ … }}: where they stand
// in a string (Scan), what they are (Parse), what they refer to (Refs), and,
// when everything they refer to is known, what they evaluate to (Eval). It
// is the workflow audit's one reader of expressions, after GitHub's
// "Evaluate expressions in workflows and actions" reference: literals,
// property access by . and [], the operators ! < <= > >= == != && ||, and
// the functions. It does no I/O and never panics on any input (fuzzed).
package expr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Segment is a piece of a string: literal text, or one expression.
type Segment struct {
	Expr bool
	// Text is the literal text, or the expression between ${{ and }},
	// trimmed.
	Text string
	// Offset is the byte offset of the segment in the string: of the text,
	// or of the ${{ that opens the expression.
	Offset int
}

// Scan splits s into literal text and ${{ }} expressions. A "}}" inside a
// string literal ('…', with ” for a quote) does not close an expression.
func Scan(s string) ([]Segment, error) {
	var out []Segment
	lit := 0
	for i := 0; i < len(s); {
		if !strings.HasPrefix(s[i:], "${{") {
			i++
			continue
		}
		if i > lit {
			out = append(out, Segment{Text: s[lit:i], Offset: lit})
		}
		end, err := closing(s, i+3)
		if err != nil {
			return out, fmt.Errorf("at byte %d: %w", i, err)
		}
		out = append(out, Segment{Expr: true, Text: strings.TrimSpace(s[i+3 : end]), Offset: i})
		i = end + 2
		lit = i
	}
	if lit < len(s) {
		out = append(out, Segment{Text: s[lit:], Offset: lit})
	}
	return out, nil
}

// closing finds the "}}" that ends an expression whose inside starts at i.
func closing(s string, i int) (int, error) {
	inString := false
	for ; i < len(s); i++ {
		switch {
		case s[i] == '\'' && inString && i+1 < len(s) && s[i+1] == '\'':
			i++ // an escaped quote
		case s[i] == '\'':
			inString = !inString
		case !inString && strings.HasPrefix(s[i:], "}}"):
			return i, nil
		}
	}
	if inString {
		return 0, errors.New("a string literal in ${{ }} is never closed")
	}
	return 0, errors.New("${{ is never closed by }}")
}

// HasExpr reports whether s holds a ${{ }} expression.
func HasExpr(s string) bool { return strings.Contains(s, "${{") }

// Node is a parsed expression.
type Node interface{ node() }

type (
	// Literal is null, a boolean, a number or a string.
	Literal struct{ Value any }
	// Property is a path of names: github.token, matrix.component.name,
	// secrets['NAME'] (a literal index counts as a name); "*" is a filter.
	Property struct{ Path []string }
	// Index is X[I] with an index that is not a literal.
	Index struct{ X, I Node }
	// Call is a function call; Name is lower-cased.
	Call struct {
		Name string
		Args []Node
	}
	// Not is !X.
	Not struct{ X Node }
	// Binary is L Op R.
	Binary struct {
		Op   string
		L, R Node
	}
)

func (Literal) node()  {}
func (Property) node() {}
func (Index) node()    {}
func (Call) node()     {}
func (Not) node()      {}
func (Binary) node()   {}

// Parse reads one expression, the text between ${{ and }}.
func Parse(src string) (Node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, fmt.Errorf("unexpected %q", p.peek().text)
	}
	return n, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tOp
)

type tok struct {
	kind tokKind
	text string
}

func lex(s string) ([]tok, error) {
	var out []tok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, errors.New("a string literal is never closed")
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, tok{tString, b.String()})
			i = j + 1
		case isDigit(c) || c == '-' && i+1 < len(s) && isDigit(s[i+1]) && !afterValue(out):
			j := i + 1
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '.' || (s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, tok{tNumber, s[i:j]})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '-') {
				j++
			}
			out = append(out, tok{tIdent, s[i:j]})
			i = j
		default:
			for _, op := range []string{"&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", "[", "]", ".", ",", "*"} {
				if strings.HasPrefix(s[i:], op) {
					out = append(out, tok{tOp, op})
					i += len(op)
					goto next
				}
			}
			return nil, fmt.Errorf("unexpected character %q", c)
		next:
		}
	}
	return append(out, tok{kind: tEOF}), nil
}

// afterValue reports whether the last token ends a value, so that a '-'
// next is not a number's sign (the grammar has no minus operator, but a
// name may hold '-').
func afterValue(toks []tok) bool {
	if len(toks) == 0 {
		return false
	}
	t := toks[len(toks)-1]
	return t.kind != tOp || t.text == ")" || t.text == "]"
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

type parser struct {
	toks []tok
	pos  int
}

func (p *parser) peek() tok { return p.toks[p.pos] }
func (p *parser) next() tok {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) accept(op string) bool {
	if t := p.peek(); t.kind == tOp && t.text == op {
		p.pos++
		return true
	}
	return false
}

func (p *parser) or() (Node, error) {
	return p.binary([]string{"||"}, p.and)
}

func (p *parser) and() (Node, error) {
	return p.binary([]string{"&&"}, p.compare)
}

func (p *parser) compare() (Node, error) {
	return p.binary([]string{"==", "!=", "<=", ">=", "<", ">"}, p.unary)
}

func (p *parser) binary(ops []string, operand func() (Node, error)) (Node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tOp || !slices.Contains(ops, t.text) {
			return l, nil
		}
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = Binary{Op: t.text, L: l, R: r}
	}
}

func (p *parser) unary() (Node, error) {
	if p.accept("!") {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (Node, error) {
	n, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.accept("."):
			t := p.next()
			switch {
			case t.kind == tIdent:
				n = extend(n, t.text)
			case t.kind == tOp && t.text == "*":
				n = extend(n, "*")
			default:
				return nil, fmt.Errorf("a name must follow '.', not %q", t.text)
			}
		case p.accept("["):
			i, err := p.or()
			if err != nil {
				return nil, err
			}
			if !p.accept("]") {
				return nil, errors.New("'[' is never closed")
			}
			if lit, ok := i.(Literal); ok {
				if s, ok := lit.Value.(string); ok {
					n = extend(n, s)
					continue
				}
			}
			n = Index{X: n, I: i}
		default:
			return n, nil
		}
	}
}

// extend adds a name to a property path, or indexes what is not one.
func extend(n Node, name string) Node {
	if prop, ok := n.(Property); ok {
		path := append(append([]string(nil), prop.Path...), name)
		return Property{Path: path}
	}
	return Index{X: n, I: Literal{Value: name}}
}

func (p *parser) primary() (Node, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return Literal{Value: t.text}, nil
	case tNumber:
		f, err := parseNumber(t.text)
		if err != nil {
			return nil, err
		}
		return Literal{Value: f}, nil
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true":
			return Literal{Value: true}, nil
		case "false":
			return Literal{Value: false}, nil
		case "null":
			return Literal{Value: nil}, nil
		}
		if p.accept("(") {
			call := Call{Name: strings.ToLower(t.text)}
			if !p.accept(")") {
				for {
					arg, err := p.or()
					if err != nil {
						return nil, err
					}
					call.Args = append(call.Args, arg)
					if p.accept(")") {
						break
					}
					if !p.accept(",") {
						return nil, fmt.Errorf("%s( is never closed", t.text)
					}
				}
			}
			return call, nil
		}
		return Property{Path: []string{t.text}}, nil
	case tOp:
		if t.text == "(" {
			n, err := p.or()
			if err != nil {
				return nil, err
			}
			if !p.accept(")") {
				return nil, errors.New("'(' is never closed")
			}
			return n, nil
		}
	}
	if t.kind == tEOF {
		return nil, errors.New("the expression ends early")
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

func parseNumber(s string) (float64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		n, err := strconv.ParseInt(s[2:], 16, 64)
		return float64(n), err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

// Refs lists every property path the expression refers to, in order.
func Refs(n Node) [][]string {
	var out [][]string
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case Property:
			out = append(out, n.Path)
		case Index:
			walk(n.X)
			walk(n.I)
		case Call:
			for _, a := range n.Args {
				walk(a)
			}
		case Not:
			walk(n.X)
		case Binary:
			walk(n.L)
			walk(n.R)
		}
	}
	walk(n)
	return out
}

// Lookup answers a property path with its value, or reports it unknown.
// Values are what JSON decodes to: string, float64, bool, nil,
// map[string]any and []any.
type Lookup func(path []string) (any, bool)

// Eval evaluates n where lookup knows the contexts; the second result is
// false when anything the value depends on is unknown.
func Eval(n Node, lookup Lookup) (any, bool) {
	switch n := n.(type) {
	case Literal:
		return n.Value, true
	case Property:
		return lookup(n.Path)
	case Index:
		x, ok := Eval(n.X, lookup)
		if !ok {
			return nil, false
		}
		i, ok := Eval(n.I, lookup)
		if !ok {
			return nil, false
		}
		return index(x, i), true
	case Not:
		x, ok := Eval(n.X, lookup)
		return !Truthy(x), ok
	case Binary:
		return evalBinary(n, lookup)
	case Call:
		return evalCall(n, lookup)
	}
	return nil, false
}

func index(x, i any) any {
	switch x := x.(type) {
	case map[string]any:
		key, _ := i.(string)
		for k, v := range x {
			if strings.EqualFold(k, key) {
				return v
			}
		}
	case []any:
		if f, ok := i.(float64); ok && f >= 0 && int(f) < len(x) && f == math.Trunc(f) {
			return x[int(f)]
		}
	}
	return nil
}

func evalBinary(n Binary, lookup Lookup) (any, bool) {
	l, lok := Eval(n.L, lookup)
	switch n.Op {
	case "||":
		if lok && Truthy(l) {
			return l, true
		}
		r, rok := Eval(n.R, lookup)
		return r, lok && rok
	case "&&":
		if lok && !Truthy(l) {
			return l, true
		}
		r, rok := Eval(n.R, lookup)
		return r, lok && rok
	}
	r, rok := Eval(n.R, lookup)
	if !lok || !rok {
		return nil, false
	}
	switch n.Op {
	case "==":
		return equal(l, r), true
	case "!=":
		return !equal(l, r), true
	}
	a, b := ToNumber(l), ToNumber(r)
	if ls, ok := l.(string); ok {
		if rs, ok := r.(string); ok {
			c := strings.Compare(strings.ToLower(ls), strings.ToLower(rs))
			a, b = float64(c), 0
		}
	}
	switch n.Op {
	case "<":
		return a < b, true
	case "<=":
		return a <= b, true
	case ">":
		return a > b, true
	}
	return a >= b, true
}

// equal is GitHub's loose equality: strings ignore case, mixed types
// compare as numbers, objects and arrays only by identity (never equal).
func equal(l, r any) bool {
	ls, lIsString := l.(string)
	rs, rIsString := r.(string)
	switch {
	case lIsString && rIsString:
		return strings.EqualFold(ls, rs)
	case l == nil && r == nil:
		return true
	}
	switch l.(type) {
	case map[string]any, []any:
		return false
	}
	switch r.(type) {
	case map[string]any, []any:
		return false
	}
	a, b := ToNumber(l), ToNumber(r)
	return a == b && !math.IsNaN(a)
}

// Truthy is GitHub's truthiness: false, 0, -0, "", null and NaN are false.
func Truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	}
	return true
}

// ToNumber converts as GitHub does: null 0, booleans 0 and 1, strings
// parsed (NaN if they are not numbers), objects and arrays NaN.
func ToNumber(v any) float64 {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if v {
			return 1
		}
		return 0
	case float64:
		return v
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0
		}
		if f, err := parseNumber(s); err == nil {
			return f
		}
	}
	return math.NaN()
}

// String converts a value as GitHub does when it puts one into a string.
func String(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	data, _ := json.Marshal(v)
	return string(data)
}

func evalCall(n Call, lookup Lookup) (any, bool) {
	args := make([]any, len(n.Args))
	for i, a := range n.Args {
		v, ok := Eval(a, lookup)
		if !ok {
			return nil, false
		}
		args[i] = v
	}
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	switch n.Name {
	case "format":
		if len(args) == 0 {
			return nil, false
		}
		return format(String(args[0]), args[1:])
	case "contains":
		if list, ok := arg(0).([]any); ok {
			for _, x := range list {
				if equal(x, arg(1)) {
					return true, true
				}
			}
			return false, true
		}
		return strings.Contains(strings.ToLower(String(arg(0))), strings.ToLower(String(arg(1)))), true
	case "startswith":
		return strings.HasPrefix(strings.ToLower(String(arg(0))), strings.ToLower(String(arg(1)))), true
	case "endswith":
		return strings.HasSuffix(strings.ToLower(String(arg(0))), strings.ToLower(String(arg(1)))), true
	case "join":
		sep := ","
		if len(args) > 1 {
			sep = String(args[1])
		}
		list, ok := arg(0).([]any)
		if !ok {
			return String(arg(0)), true
		}
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = String(x)
		}
		return strings.Join(parts, sep), true
	case "tojson":
		data, err := json.MarshalIndent(arg(0), "", "  ")
		return string(data), err == nil
	case "fromjson":
		var v any
		if err := json.Unmarshal([]byte(String(arg(0))), &v); err != nil {
			return nil, false
		}
		return v, true
	}
	// hashFiles, success(), always(), cancelled(), failure() and any
	// unknown function depend on the run.
	return nil, false
}

// format fills {0}, {1}, … and keeps {{ and }} as braces.
func format(f string, args []any) (any, bool) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		switch {
		case strings.HasPrefix(f[i:], "{{"):
			b.WriteByte('{')
			i++
		case strings.HasPrefix(f[i:], "}}"):
			b.WriteByte('}')
			i++
		case f[i] == '{':
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return nil, false
			}
			k, err := strconv.Atoi(f[i+1 : i+end])
			if err != nil || k < 0 || k >= len(args) {
				return nil, false
			}
			b.WriteString(String(args[k]))
			i += end
		default:
			b.WriteByte(f[i])
		}
	}
	return b.String(), true
}

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
