package expr

import (
	"errors"
	"fmt"
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
