package command

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdownRepo is the probes pattern under the two file names of issue 22,
// item 3, and with a job id that would mention someone.
func markdownRepo(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audit", "probes", ".github", "workflows", "ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	ci := strings.Replace(string(src), "\n  api:\n", "\n  j`@octocat`:\n", 1)
	root := repoWith(t, map[string]string{
		"z`@octocat`.yml": ci,
		"x\n<img src=https:evil.example onerror=alert(1)>\n# Heading.yml": ci,
	})
	action, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audit", "probes", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "action.yml"), action, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// renderedMarkup finds what workflow text made of Markdown rendered as
// GitHub's GFM would (CommonMark with tables, through goldmark): an image
// or other HTML, a heading from a file name, or @octocat outside code,
// where GitHub would notify the account.
func renderedMarkup(t *testing.T, md string) []string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	html := out.String()
	var bad []string
	if strings.Contains(html, "<img") {
		bad = append(bad, "an <img>")
	}
	if strings.Contains(html, "Heading.yml</h") || regexp.MustCompile(`<h[1-6]>[^<]*Heading`).MatchString(html) {
		bad = append(bad, "a heading")
	}
	outside := regexp.MustCompile(`(?s)<code>.*?</code>`).ReplaceAllString(html, "")
	if strings.Contains(outside, "@octocat") {
		bad = append(bad, "@octocat outside code")
	}
	return bad
}

// File names and job ids reach the step summary and the reminder issue's
// "Where it is used" as text: no image, no heading, no live mention.
func TestWorkflowNamesMakeNoMarkdown(t *testing.T) {
	t.Parallel()
	e, with := auditEnv(t)
	e.workspace = markdownRepo(t)
	with["reminder"] = "issue"
	r := e.runAction(t, with)
	if bad := renderedMarkup(t, r.Summary); len(bad) > 0 {
		t.Errorf("the summary renders %v:\n%s", bad, r.Summary)
	}
	if !strings.Contains(r.Summary, "z`@") || !strings.Contains(r.Summary, `x\n`) {
		t.Errorf("the summary does not name the files:\n%s", r.Summary)
	}
	open := e.gh.Issues.Open()
	if len(open) != 1 {
		t.Fatalf("%d issues; want the expiring token's", len(open))
	}
	body := open[0].Body
	if bad := renderedMarkup(t, body); len(bad) > 0 {
		t.Errorf("the issue renders %v:\n%s", bad, body)
	}
	for _, want := range []string{"``.github/workflows/z`@octocat`.yml:11`` (job `check`)", "``.github/workflows/z`@octocat`.yml:25`` (job `` j`@octocat` ``)", `.github/workflows/x\n<img src=https:evil.example onerror=alert(1)>\n# Heading.yml:11`} {
		if !strings.Contains(body, want) {
			t.Errorf("the issue lacks %q:\n%s", want, body)
		}
	}
}
