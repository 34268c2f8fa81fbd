package report

import (
	"strings"
	"unicode"
)

// markdownEscaper neutralises what untrusted text (a server's message, a
// login, an input) could turn into markup: raw HTML, links and images, code
// spans that swallow what follows, and @mentions, which notify people. Line
// breaks become spaces so a message cannot start a heading or a list.
// Emphasis is left alone: it is harmless, and escaping it would break the
// URLs every fix carries.
var markdownEscaper = strings.NewReplacer(
	"\r\n", " ", "\n", " ", "\r", " ",
	"<", "&lt;", ">", "&gt;",
	"[", `\[`, "]", `\]`,

	"@", "@\u200b",
)

// Markdown makes untrusted text safe to embed in Markdown: the step summary
// and issue bodies.
func Markdown(s string) string { return markdownEscaper.Replace(stripControl(s)) }

// cell makes text safe inside a Markdown table cell: Markdown, and no pipes.
func cell(s string) string {
	return strings.ReplaceAll(Markdown(s), "|", `\|`)
}

// code puts an input-checked name (a secret name) in a code span. Names are
// letters, digits and _ (config checks), so no backtick can end the span early.
func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// stripControl removes control characters other than line breaks and tabs:
// an escape sequence from a server must not drive the reader's terminal.
func stripControl(s string) string {
	if !strings.ContainsFunc(s, isBadControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBadControl(r) {
			return -1
		}
		return r
	}, s)
}

func isBadControl(r rune) bool {
	return r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069)
}

// TerminalText makes untrusted text safe to print to a terminal: no escape
// sequences or other control characters.
func TerminalText(s string) string { return stripControl(s) }
