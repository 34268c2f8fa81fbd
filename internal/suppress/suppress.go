// Package suppress reads the ignore comments of workflow files and applies
// them to an audit's report. `# token-gate: ignore[code]`, or
// `# token-gate: ignore[code1,code2]`, written as zizmor writes its own
// `# zizmor: ignore[rule]`, suppresses the findings of those codes on the
// comment's line; a comment alone on its line suppresses those on the line
// below it too. A suppressed finding leaves the report's findings for its
// suppressed ones: it is counted, shown when asked for, and fails nothing.
// Only YAML comments count: the same words inside a string or a run:
// script are text, not comments (as zizmor reads them).
package suppress

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/token-gate/token-gate/internal/finding"
)

// Comment is one ignore comment.
type Comment struct {
	File string
	Line int
	// Codes are the codes it names, as written.
	Codes []finding.Code
	// Alone is set when nothing but white space stands before it on its
	// line, so that it speaks of the line below as well.
	Alone bool
}

// Comments are the ignore comments of a repository's workflows.
type Comments struct {
	list []Comment
}

// Read finds the ignore comments in each file's source, keyed by the
// path the findings name (the repository-relative path).
func Read(sources map[string][]byte) Comments {
	var cs Comments
	paths := make([]string, 0, len(sources))
	for p := range sources {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		cs.list = append(cs.list, inFile(p, sources[p])...)
	}
	return cs
}

// All lists the comments, by file and line.
func (cs Comments) All() []Comment { return slices.Clone(cs.list) }

// commentPattern finds an ignore comment in a line: a "#" at the line's
// start or after white space (YAML's rule for a comment), the marker, and
// the codes up to "]".
var commentPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[ \t])(#[ \t]*token-gate:[ \t]*ignore\[([^\]\r\n]*)\])`)
})

// inFile finds the ignore comments of one file. A "#" that a quoted string
// or a block scalar (a run: script) holds is text, not a comment, so the
// file is parsed to know where those lie; a file that is not YAML has no
// strings to tell apart, and there a line counts as it looks.
func inFile(path string, src []byte) []Comment {
	if !bytes.Contains(src, []byte("ignore[")) {
		return nil
	}
	ls := lines(src)
	text := textSpans(src, ls)
	var out []Comment
	for i, line := range ls {
		m := commentPattern().FindStringSubmatchIndex(line)
		if m == nil || text.holds(i+1, utf8.RuneCountInString(line[:m[2]])+1) {
			continue
		}
		c := Comment{File: path, Line: i + 1, Alone: strings.TrimLeft(line[:m[2]], " \t") == ""}
		for _, code := range strings.Split(line[m[4]:m[5]], ",") {
			if code = strings.TrimSpace(code); code != "" {
				c.Codes = append(c.Codes, finding.Code(code))
			}
		}
		if len(c.Codes) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// lines splits source as YAML breaks lines: at LF, CRLF, and a CR alone.
func lines(src []byte) []string {
	s := strings.ReplaceAll(string(src), "\r\n", "\n")
	return strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
}

// pos is a place in the source: a line and a column, counted in
// characters from 1, as the YAML parser counts them.
type pos struct{ line, col int }

func (p pos) before(q pos) bool { return p.line < q.line || p.line == q.line && p.col < q.col }

// span is text from start up to, not including, end.
type span struct{ start, end pos }

type spans []span

func (ss spans) holds(line, col int) bool {
	p := pos{line, col}
	for _, s := range ss {
		if !p.before(s.start) && p.before(s.end) {
			return true
		}
	}
	return false
}

// textSpans parses src and returns where its quoted and block scalars lie;
// none when it does not parse. A plain scalar cannot hold " #" (YAML ends
// it there), so only those two kinds can hide a "#".
func textSpans(src []byte, ls []string) spans {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil
	}
	var out spans
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			switch {
			case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
				out = append(out, quotedSpan(ls, pos{n.Line, n.Column}))
			case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
				out = append(out, blockSpan(ls, n.Line))
			}
		}
		for _, child := range n.Content {
			walk(child)
		}
	}
	walk(&doc)
	return out
}

// quotedSpan is the quoted scalar whose opening quote stands at start, to
// its closing quote: ” is a quote inside single quotes, \" inside double.
func quotedSpan(ls []string, start pos) span {
	if start.line < 1 || start.line > len(ls) {
		return span{start, start}
	}
	line := []rune(ls[start.line-1])
	if start.col < 1 || start.col > len(line) {
		return span{start, start}
	}
	quote := line[start.col-1]
	escaped := false
	for l, col := start.line, start.col+1; l <= len(ls); l, col = l+1, 1 {
		rs := []rune(ls[l-1])
		for ; col <= len(rs); col++ {
			r := rs[col-1]
			switch {
			case escaped:
				escaped = false
			case quote == '"' && r == '\\':
				escaped = true
			case r == quote && quote == '\'' && col < len(rs) && rs[col] == '\'':
				col++
			case r == quote:
				return span{start, pos{l, col + 1}}
			}
		}
		escaped = false
	}
	return span{start, pos{len(ls) + 1, 1}}
}

// blockSpan is the content of the block scalar whose indicator (| or >)
// stands on line: the lines below it that are blank or indented at least as
// far as its first line of text. The indicator's own line may end with a
// comment, which is one.
func blockSpan(ls []string, line int) span {
	indentOf := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	parent := 0
	if line >= 1 && line <= len(ls) {
		parent = indentOf(ls[line-1])
	}
	content, end := -1, line+1
	for l := line + 1; l <= len(ls); l++ {
		s := ls[l-1]
		if strings.TrimSpace(s) == "" {
			continue
		}
		if content < 0 {
			content = indentOf(s)
			if content <= parent {
				break
			}
		}
		if indentOf(s) < content {
			break
		}
		end = l + 1
	}
	return span{pos{line + 1, 1}, pos{end, 1}}
}

// Apply returns r with every finding that a comment suppresses moved from
// its findings to its suppressed ones, in their order.
func (cs Comments) Apply(r finding.Report) finding.Report {
	if len(cs.list) == 0 {
		return r
	}
	out := r
	out.Findings = nil
	out.Suppressed = slices.Clone(r.Suppressed)
	for _, f := range r.Findings {
		if line, ok := cs.suppresses(f); ok {
			out.Suppressed = append(out.Suppressed, finding.SuppressedFinding{Finding: f, CommentLine: line})
			continue
		}
		out.Findings = append(out.Findings, f)
	}
	return out
}

// Suppresses reports whether a comment suppresses f: what the audit's
// --fix then leaves alone.
func (cs Comments) Suppresses(f finding.Finding) bool {
	_, ok := cs.suppresses(f)
	return ok
}

// suppresses finds the comment that suppresses f, if any: one naming its
// code on its line, or alone on the line above.
func (cs Comments) suppresses(f finding.Finding) (int, bool) {
	for _, c := range cs.list {
		if c.File != f.File || !slices.Contains(c.Codes, f.Code) {
			continue
		}
		if c.Line == f.Line || c.Alone && c.Line == f.Line-1 {
			return c.Line, true
		}
	}
	return 0, false
}

// Unknown lists the comments that name a code not in known, each with
// only those codes: a misspelt code suppresses nothing, and says so.
func (cs Comments) Unknown(known []finding.Code) []Comment {
	var out []Comment
	for _, c := range cs.list {
		var bad []finding.Code
		for _, code := range c.Codes {
			if !slices.Contains(known, code) {
				bad = append(bad, code)
			}
		}
		if len(bad) > 0 {
			c.Codes = bad
			out = append(out, c)
		}
	}
	return out
}
