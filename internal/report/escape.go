package report

import (
	"strings"
	"unicode"
)

// markdownEscaper neutralises what untrusted text (a server's message, a
// login, an input) could turn into markup: raw HTML and entities (&lt; would
// render as <), links and images, code spans that swallow what follows, and
// @mentions, which notify people. Line breaks become spaces so a message
// cannot start a heading or a list. Emphasis is left alone: it is harmless,
// and escaping it would break the URLs every fix carries. Server text
// reaches here with its own links already broken (facts.Defang), so the
// links that remain are the fixes' own.
var markdownEscaper = strings.NewReplacer(
	"\r\n", " ", "\n", " ", "\r", " ",
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"[", `\[`, "]", `\]`,

	"@", "@\u200b",
)

// Markdown makes untrusted text safe to embed in Markdown: the step summary
// and issue bodies. A URL's own characters are left as they are, so that a
// fix's prefilled link (…?scopes=repo&description=…) keeps working.
func Markdown(s string) string {
	s = stripControl(s)
	var b strings.Builder
	for s != "" {
		i := urlStart(s)
		if i < 0 {
			b.WriteString(markdownEscaper.Replace(s))
			break
		}
		b.WriteString(markdownEscaper.Replace(s[:i]))
		end := i + strings.IndexFunc(s[i:], unicode.IsSpace)
		if end < i {
			end = len(s)
		}
		b.WriteString(s[i:end])
		s = s[end:]
	}
	return b.String()
}

// urlStart finds the next http:// or https:// URL.
func urlStart(s string) int {
	i := strings.Index(s, "http")
	for i >= 0 {
		if strings.HasPrefix(s[i:], "https://") || strings.HasPrefix(s[i:], "http://") {
			return i
		}
		next := strings.Index(s[i+4:], "http")
		if next < 0 {
			return -1
		}
		i += 4 + next
	}
	return -1
}

// linkTarget makes a URL safe as a Markdown link's destination: whatever
// could end it early or start markup is percent-encoded.
func linkTarget(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", "\\", "%5C", "[", "%5B", "]", "%5D").Replace(u)
}

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
