package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// hostile holds every character class the escapes must handle: line
// breaks the runner splits at, ESC and BEL (a terminal hyperlink), DEL, a
// C1 control (NEL), the bidi override of "Trojan Source", the Unicode line
// separator, and a character past U+FFFF, which is not hostile.
const hostile = "a\n::set-output name=x::y\r::error::z\x1b]8;;https://evil.example\x07\x7f\u0085\u202egnp.exe\u2028𝔘"

func TestInline(t *testing.T) {
	t.Parallel()
	got := Inline(hostile)
	want := `a\n::set-output name=x::y\r::error::z\x1b]8;;https://evil.example\x07\x7f\u0085\u202egnp.exe\u2028𝔘`
	if got != want {
		t.Errorf("Inline = %q\nwant %q", got, want)
	}
	if Inline("plain text, ünïcode") != "plain text, ünïcode" {
		t.Error("Inline changed safe text")
	}
	if got := Block("line one\nline two\r\n\x1b[2J"); got != "line one\nline two\\r\n\\x1b[2J" {
		t.Errorf("Block = %q", got)
	}
}

// unintended finds what the runner would take for a workflow command in
// text a run: step prints: a line that starts with "::" after white space
// (the runner trims it, .NET's TrimStart), or "##[" anywhere
// (actions/runner, ActionCommand.TryParseV2 and TryParse).
func unintended(text string) []string {
	var out []string
	for _, line := range regexp.MustCompile(`\r\n|\r|\n`).Split(text, -1) {
		if strings.HasPrefix(strings.TrimLeft(line, " \t\u00a0\u2000\u3000\u0085\f\v"), "::") || strings.Contains(line, "##[") {
			out = append(out, line)
		}
	}
	return out
}

func TestLogSafe(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"::error::x",
		"  \t::warning::x",
		"\u00a0\u3000::add-mask::x", // Unicode spaces, which TrimStart trims too
		"text\n::set-output name=a::b",
		"text\r::set-output name=a::b",
		"text\r\n   ::group::g",
		"Push ##[set-output name=valid;]true",
		"##[error]x",
		"a # ##[ b ##[",
	} {
		got := LogSafe(in)
		if bad := unintended(got); len(bad) > 0 {
			t.Errorf("LogSafe(%q) = %q: still a command in %q", in, got, bad)
		}
		if strings.ReplaceAll(strings.ReplaceAll(got, `\::`, "::"), `##\[`, "##[") != in {
			t.Errorf("LogSafe(%q) = %q changed more than the commands", in, got)
		}
	}
	for _, keep := range []string{"a :: b", "x::y", "\x1b[1;31merror\x1b[0m", "# heading"} {
		if got := LogSafe(keep); got != keep {
			t.Errorf("LogSafe(%q) = %q; nothing there is a command", keep, got)
		}
	}
}

// SafeJSON leaves the document's values as they were, and its bytes free
// of commands and of raw control characters.
func TestSafeJSON(t *testing.T) {
	t.Parallel()
	in := map[string]string{"step": "Push ##[set-output name=valid;]true", "job": hostile}
	data, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	safe := SafeJSON(data)
	if bad := unintended(string(safe)); len(bad) > 0 {
		t.Errorf("commands left: %q", bad)
	}
	if strings.ContainsFunc(strings.ReplaceAll(string(safe), "\n", ""), isUnsafe) {
		t.Errorf("raw control characters left: %q", safe)
	}
	var back map[string]string
	if err := json.Unmarshal(safe, &back); err != nil || back["step"] != in["step"] || back["job"] != in["job"] {
		t.Errorf("decodes to %q, %v; want %q", back, err, in)
	}
}

// markdownHTML renders Markdown as GitHub's GFM does, near enough:
// CommonMark with tables.
func markdownHTML(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// A code span holds any file name whole, however many backticks it has,
// and nothing in it renders: the two names (issue 22, item 3).
func TestCodeSpan(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		".github/workflows/z`@octocat`.yml",
		".github/workflows/x\n<img src=https://evil.example/x.png>\n# Heading.yml",
		"``double``",
		"`",
		"plain.yml",
	} {
		html := markdownHTML(t, "- "+CodeSpan(name)+" (job "+CodeSpan("build")+")\n")
		if strings.Contains(html, "<img") || strings.Contains(html, "<h1") {
			t.Errorf("%q rendered markup:\n%s", name, html)
		}
		// Everything of the name sits inside one <code>.
		code := regexp.MustCompile(`(?s)<code>(.*?)</code>`).FindAllStringSubmatch(html, -1)
		if len(code) != 2 {
			t.Errorf("%q: %d code spans in\n%s", name, len(code), html)
			continue
		}
		inside := strings.TrimSpace(code[0][1])
		want := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(Inline(name))
		if inside != strings.TrimSpace(want) {
			t.Errorf("%q: the span holds %q; want %q", name, inside, want)
		}
		if strings.Contains(strings.Replace(html, code[0][0], "", 1), "@octocat") {
			t.Errorf("%q: @octocat outside the code span:\n%s", name, html)
		}
	}
}

// Workflow text is not defanged as server text is: text that starts like a
// URL keeps a fix's link whole, and nothing after it that is markup.
func TestMarkdownURLRunsEnd(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/settings/tokens/new?scopes=repo,write:packages&description=A_B": "https://github.com/settings/tokens/new?scopes=repo,write:packages&description=A_B",
		"https://e.example/<img/src=x>":       "https://e.example/&lt;img/src=x&gt;",
		"https://e.example/[x](https://evil)": "https://e.example/\\[x\\](https://evil)",
		"see https://e.example/a`b` @octocat": "see https://e.example/a`b` @\u200boctocat",
	} {
		if got := Markdown(in); got != want {
			t.Errorf("Markdown(%q) = %q, want %q", in, got, want)
		}
	}
}

// CutRunes counts characters, not bytes, and marks a cut with the
// ellipsis inside the n it keeps.
func TestCutRunes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ééé", 3, "ééé"},
		{"éééé", 3, "éé…"},
		{"", 1, ""},
	} {
		if got := CutRunes(c.in, c.n); got != c.want {
			t.Errorf("CutRunes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
