package audit

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/workflow"
)

// condition is an if:, read once: its text as written (for copying into a
// fix), the expression GitHub evaluates, and whether it calls a status
// function (without one, GitHub reads it as success() && it).
type condition struct {
	value  workflow.Value
	node   expr.Node // nil when the text does not parse
	status bool
}

// readCond reads an if: as GitHub does (GitHub docs, "Expressions"): text
// without ${{ }} is an expression; ${{ X }} alone is X; any other mix of
// text and ${{ }} is a string, and a string that is not empty is true.
func (a *auditor) readCond(v *workflow.Value) *condition {
	if v == nil {
		return nil
	}
	text := strings.TrimSpace(v.Text)
	if text == "" {
		return nil
	}
	// The fix's checks read every if: of the workflow again: a condition is
	// parsed once per text (the trees are never changed once made).
	p := once(&a.memo.mu, a.memo.conds, text, func() parsedCond { return parseCond(text) })
	return &condition{value: *v, node: p.node, status: p.status}
}

// parsedCond is what an if:'s text alone decides: its expression, and
// whether it names a status function.
type parsedCond struct {
	node   expr.Node
	status bool
}

func parseCond(text string) parsedCond {
	var p parsedCond
	if !expr.HasExpr(text) {
		p.node = exprNode(text)
	} else if segs, err := expr.Scan(text); err == nil && len(segs) == 1 && segs[0].Expr {
		p.node = exprNode(segs[0].Text)
	} else if err == nil {
		p.node = expr.Literal{Value: text} // always true: the docs warn of it
	}
	if p.node != nil {
		p.status = expr.HasStatus(p.node)
		p.node = expr.KeyLeaves(p.node)
	} else {
		p.status = statusWords().MatchString(text)
	}
	return p
}

var statusWords = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(always|success|failure|cancelled)\s*\(`)
})

// raw is the condition as written in the file, for copying into a fix.
func (c *condition) raw(f *workflow.File) string {
	return rawText(f, c.value)
}

// copied is the condition as an if: value to write elsewhere: as the
// file writes it when that is one line (its quotes and spacing kept), else
// its parsed text on one line (a block scalar's lines joined by escapes).
func (c *condition) copied(f *workflow.File) string {
	if raw := strings.TrimSpace(c.raw(f)); raw != "" && !strings.ContainsAny(raw, "\r\n") && c.value.Style != workflow.Block {
		return raw
	}
	return yamlScalar(strings.TrimSpace(c.value.Text))
}

// key is the condition in canonical form, to compare two conditions.
func (c *condition) key() string {
	if c == nil {
		return ""
	}
	if c.node == nil {
		return "\x00" + strings.TrimSpace(c.value.Text)
	}
	return expr.Format(c.node)
}

// contexts lists the contexts a condition reads (github, needs, matrix, …),
// lower-cased, once each; an unparsed condition reads "?".
func (c *condition) contexts() []string {
	if c.node == nil {
		return []string{"?"}
	}
	var out []string
	for _, p := range expr.Refs(c.node) {
		name := strings.ToLower(p[0])
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
