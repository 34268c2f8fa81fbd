package report

import (
	"fmt"
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
		// A URL runs to a space, or to a character no URL holds bare
		// (RFC 3986): a step name that starts like a URL keeps no
		// markup after it (https://x/<img …> renders nothing).
		end := i + strings.IndexFunc(s[i:], notInURL)
		if end < i {
			end = len(s)
		}
		b.WriteString(s[i:end])
		s = s[end:]
	}
	return b.String()
}

// notInURL reports a character that ends a bare URL.
func notInURL(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("<>\"`[]{}|\\^", r) || r > unicode.MaxASCII
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

// CodeSpan puts untrusted text (a workflow's file name, a job id) in a
// Markdown code span that nothing in it can end early: its line breaks and
// control characters are escaped (Inline), and the fence is one backtick
// longer than the longest run of backticks inside, padded with spaces when
// the text starts or ends with one (CommonMark, "Code spans"). Inside a
// code span nothing renders: no HTML, no heading, no @mention.
func CodeSpan(s string) string {
	s = Inline(s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

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
	return r != '\n' && r != '\t' && isUnsafe(r)
}

// isUnsafe is a character that must not reach a terminal, a log or a
// reader raw: control characters (C0, DEL, C1: line breaks, ESC, BEL), the
// Unicode line and paragraph separators, and the bidirectional controls
// that reorder what is shown (U+202E and its kin; the "Trojan Source"
// characters of CVE-2021-42574).
func isUnsafe(r rune) bool {
	switch {
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f', r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// TerminalText makes untrusted text safe to print to a terminal: no escape
// sequences or other control characters.
func TerminalText(s string) string { return stripControl(s) }

// Inline makes untrusted text (a workflow's job id, step name, file name,
// or a message quoting them) one safe line: every character isUnsafe names
// is written as an escape, the way Go writes it (\n, \r, \x1b, \u202e),
// so a reader sees that it is there and nothing acts on it.
func Inline(s string) string { return escapeUnsafe(s, false) }

// Block is Inline for text of several lines (a workflow snippet): line
// feeds are kept, everything else isUnsafe names is escaped, CR included,
// since the runner breaks lines at a CR too.
func Block(s string) string { return escapeUnsafe(s, true) }

func escapeUnsafe(s string, keepLF bool) string {
	if !strings.ContainsFunc(s, isUnsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' && keepLF:
			b.WriteRune(r)
		case !isUnsafe(r):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// LogSafe keeps text that a run: step prints from being read by the runner
// as workflow commands (docs/facts.md, "Workflow commands"): a line whose
// first characters after white space are "::" gets a backslash before them,
// and "##[", which the runner reads anywhere in a line, becomes "##\[".
// Lines end at LF or CR, as the runner reads them. It changes nothing
// else, so colours and the text's layout survive; control characters are
// Inline's and Block's concern.
func LogSafe(s string) string {
	if !strings.Contains(s, "::") && !strings.Contains(s, "##[") {
		return s
	}
	s = strings.ReplaceAll(s, "##[", `##\[`)
	var b strings.Builder
	for len(s) > 0 {
		end := strings.IndexAny(s, "\n\r")
		line, rest := s, ""
		if end >= 0 {
			line, rest = s[:end], s[end:]
		}
		body := strings.TrimLeftFunc(line, unicode.IsSpace)
		if strings.HasPrefix(body, "::") {
			b.WriteString(line[:len(line)-len(body)])
			b.WriteString(`\`)
			b.WriteString(body)
		} else {
			b.WriteString(line)
		}
		if end < 0 {
			break
		}
		b.WriteByte(rest[0])
		s = rest[1:]
	}
	return b.String()
}

// SafeJSON rewrites encoded JSON so that its bytes carry no workflow command
// and no character isUnsafe names, while it decodes to the same values:
// "##[" becomes "##\u005b" and each unsafe character a \u escape.
// encoding/json already escapes C0 controls and U+2028/U+2029; DEL, C1 and
// the bidirectional controls it writes raw. Outside strings JSON holds
// none of these, so every rewrite lands inside a string.
func SafeJSON(data []byte) []byte {
	s := string(data)
	if !strings.Contains(s, "##[") && !strings.ContainsFunc(s, isUnsafe) {
		return data
	}
	s = strings.ReplaceAll(s, "##[", `##\u005b`)
	var b strings.Builder
	for _, r := range s {
		if isUnsafe(r) && r != '\n' && r != '\t' && r != '\r' {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return []byte(b.String())
}
