package expr

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

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

// Parse reads one expression, the text between ${{ and }}. It refuses one
// longer than MaxLength or nested deeper than MaxDepth, as GitHub does, so
// that no input can make it recurse without bound.
func Parse(src string) (Node, error) {
	if len(src) > MaxLength {
		return nil, fmt.Errorf("the expression is %d characters long, more than GitHub reads (%d)", len(src), MaxLength)
	}
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

type parser struct {
	toks []tok
	pos  int
	// depth counts the groups, calls, indexes and negations open now.
	depth int
}

// nest enters one more level, or refuses past MaxDepth.
func (p *parser) nest() error {
	p.depth++
	if p.depth > MaxDepth {
		return fmt.Errorf("the expression nests more than %d levels deep, more than GitHub reads", MaxDepth)
	}
	return nil
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
	if err := p.nest(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
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
		if err := p.nest(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
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
