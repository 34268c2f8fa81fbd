package expr

import (
	"errors"
	"fmt"
	"strings"
)

// Limits GitHub's own reader sets (actions/runner, ExpressionConstants:
// MaxDepth 50, MaxLength 21000): an expression beyond them is refused
// there too, so refusing it here costs no real workflow anything
// (docs/facts.md, "Expressions").
const (
	MaxDepth  = 50
	MaxLength = 21000
)

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
