package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/finding"
)

// UsePlace is one place a credential is used, listed once however many
// calls of a reusable workflow reach it: its file and line, the first job
// that reaches it, and how many uses do.
type UsePlace struct {
	File  string
	Line  int
	Job   string
	Count int
}

// UsePlaces lists the places of uses once each, in the order they first
// appear: a reusable workflow called from ten thousand jobs is one place
// with a count, not ten thousand lines.
func UsePlaces(uses []finding.Place) []UsePlace {
	type key struct {
		file string
		line int
	}
	var out []UsePlace
	index := map[key]int{}
	for _, u := range uses {
		// The audit may have counted the calls already (Times).
		k, n := key{u.File, u.Line}, max(u.Times, 1)
		if i, seen := index[k]; seen {
			out[i].Count += n
			continue
		}
		index[k] = len(out)
		out = append(out, UsePlace{File: u.File, Line: u.Line, Job: u.Job, Count: n})
	}
	return out
}

// Text is the place for a terminal or a log: file:12 (job build).
func (p UsePlace) Text() string {
	return fmt.Sprintf("%s:%d (job %s%s)", p.File, p.Line, p.Job, p.calls())
}

// Markdown is the place for the step summary and issues, file and job in
// code spans that their text cannot break out of, each cut to maxName
// characters.
func (p UsePlace) Markdown() string {
	return CodeSpan(fmt.Sprintf("%s:%d", cutName(p.File), p.Line)) + " (job " + CodeSpan(cutName(p.Job)) + p.calls() + ")"
}

// calls counts the uses that reach the place, when more than one does.
func (p UsePlace) calls() string {
	if p.Count > 1 {
		return fmt.Sprintf("; reached by %d calls", p.Count)
	}
	return ""
}

// maxName bounds a file name or job id shown in Markdown.
const maxName = 200

func cutName(s string) string { return CutRunes(s, maxName) }

// CutRunes keeps at most n characters of s, the last of them an ellipsis
// where it cuts. Cut after redacting (a cut secret no longer matches its
// redaction) and before escaping (a cut escape or code span can end early
// or run on).
func CutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// WhereUsed renders the places of uses as a Markdown list, each once, in
// at most maxChars characters, with a last line that counts the places
// left out: the reminder issue's "Where it is used", bounded whatever the
// workflows hold.
func WhereUsed(uses []finding.Place, maxChars int) string {
	var b strings.Builder
	size := 0
	places := UsePlaces(uses)
	for i, p := range places {
		line := "- " + p.Markdown() + "\n"
		n := utf8.RuneCountInString(line)
		if size+n > maxChars-moreLineRoom && i < len(places)-1 || size+n > maxChars {
			fmt.Fprintf(&b, "- … and %d more (the run's step summary and `token-gate audit` list them all)\n", len(places)-i)
			break
		}
		b.WriteString(line)
		size += n
	}
	return b.String()
}

// moreLineRoom is kept for WhereUsed's last line.
const moreLineRoom = 100
