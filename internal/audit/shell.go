package audit

import (
	"iter"
	"strings"
)

// A run: script read far enough to find the commands that log in, push and
// publish: logical lines (a trailing \ joins the next), split into the
// commands of a pipeline or list (| || && ;), each split into words with
// quotes removed. It is not a shell; what it cannot read it leaves alone,
// and the audit says so where it matters.

// command is one simple command of a script.
type command struct {
	words []string
	// offset is the byte offset of the command's first word in the script.
	offset int
	// pipeline are the other commands of its pipeline or list, whose words
	// may feed it (echo "$TOKEN" | docker login --password-stdin).
	pipeline []command
}

// commands reads a script into its simple commands, in order.
func commands(script string) []command {
	var out []command
	for _, line := range logicalLines(script) {
		var group []command
		for _, piece := range splitList(line.text) {
			words := shellWords(piece.text)
			// Leading VAR=value assignments and wrappers run the command
			// after them.
			for len(words) > 0 && (isAssignment(words[0]) || words[0] == "sudo" || words[0] == "time" || words[0] == "exec" || words[0] == "env") {
				words = words[1:]
			}
			if len(words) == 0 {
				continue
			}
			group = append(group, command{words: words, offset: line.offset + piece.offset + leadingSpace(piece.text)})
		}
		for i := range group {
			group[i].pipeline = group
		}
		out = append(out, group...)
	}
	return out
}

func leadingSpace(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

type piece struct {
	text   string
	offset int
}

// logicalLines joins lines ending in a backslash, and drops comments.
func logicalLines(script string) []piece {
	var out []piece
	var b strings.Builder
	start := 0
	offset := 0
	for _, raw := range strings.SplitAfter(script, "\n") {
		line := strings.TrimRight(raw, "\r\n")
		if b.Len() == 0 {
			start = offset
		}
		offset += len(raw)
		if strings.HasSuffix(line, "\\") {
			b.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		b.WriteString(line)
		text := stripComment(b.String())
		b.Reset()
		if strings.TrimSpace(text) != "" {
			out = append(out, piece{text: text, offset: start})
		}
	}
	return out
}

// unquoted yields the index of every byte of s outside '…' and "…", the
// quotes themselves left out: where a comment, a list operator or a
// closing bracket can stand.
func unquoted(s string) iter.Seq[int] {
	return func(yield func(int) bool) {
		quote := byte(0)
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"':
				quote = c
			default:
				if !yield(i) {
					return
				}
			}
		}
	}
}

// stripComment drops a # comment that is not inside quotes and starts a
// word.
func stripComment(s string) string {
	for i := range unquoted(s) {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// splitList cuts a line at | || && ; outside quotes.
func splitList(s string) []piece {
	var out []piece
	start := 0
	for i := range unquoted(s) {
		if i < start {
			continue // the second byte of || or &&
		}
		c := s[i]
		if c == ';' || c == '|' || c == '&' && i+1 < len(s) && s[i+1] == '&' {
			out = append(out, piece{text: s[start:i], offset: start})
			start = i + 1
			if i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '&') {
				start++
			}
		}
	}
	return append(out, piece{text: s[start:], offset: start})
}

// shellWords splits a command into words, removing quotes; ${{ }} stays
// one word with what it holds.
func shellWords(s string) []string {
	var out []string
	var b strings.Builder
	inWord := false
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && strings.HasPrefix(s[i:], "${{"):
			end := strings.Index(s[i:], "}}")
			if end < 0 {
				end = len(s) - i - 2
			}
			b.WriteString(s[i : i+end+2])
			i += end + 1
			inWord = true
		case quote != 0 && c == quote:
			quote = 0
		case quote == '"' && c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case quote != 0:
			b.WriteByte(c)
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, b.String())
				b.Reset()
				inWord = false
			}
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			inWord = true
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, b.String())
	}
	return out
}

// shellVars lists the variables a word or words expand: $NAME and ${NAME}.
func shellVars(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		j := i + 1
		braced := s[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= 'a' && s[k] <= 'z' || k > j && s[k] >= '0' && s[k] <= '9') {
			k++
		}
		if k > j && (!braced || k < len(s) && (s[k] == '}' || s[k] == ':' || s[k] == '-')) {
			out = append(out, s[j:k])
		}
		i = k - 1
	}
	return out
}
