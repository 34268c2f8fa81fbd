package audit

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/token-gate/token-gate/internal/workflow"
)

// The fix's text edits: a job inserted under jobs:, needs: added to a job
// in the form it already writes them, a step inserted before another. Each
// is made at the parser's positions; everything else stays byte for byte.

// Edit replaces Length bytes at Offset of a file's source with Text.
type Edit struct {
	Offset, Length int
	Text           string
}

// Apply makes the edits, which must not overlap: in one pass from the
// first to the last, or, where two share an offset, from the last to the
// first so that each offset still holds (the later edit's text then comes
// first).
func Apply(src []byte, edits []Edit) []byte {
	sorted := slices.Clone(edits)
	slices.SortStableFunc(sorted, func(x, y Edit) int { return cmp.Compare(x.Offset, y.Offset) })
	size := len(src)
	for i, e := range sorted {
		if i > 0 && (sorted[i-1].Offset == e.Offset || sorted[i-1].Offset+sorted[i-1].Length > e.Offset) {
			return applyBackwards(src, edits)
		}
		size += len(e.Text) - e.Length
	}
	out := make([]byte, 0, size)
	at := 0
	for _, e := range sorted {
		out = append(out, src[at:e.Offset]...)
		out = append(out, e.Text...)
		at = e.Offset + e.Length
	}
	return append(out, src[at:]...)
}

// applyBackwards makes the edits from the last offset to the first, each
// on the text the ones after it left.
func applyBackwards(src []byte, edits []Edit) []byte {
	sorted := append([]Edit(nil), edits...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Offset > sorted[j].Offset })
	out := append([]byte(nil), src...)
	for _, e := range sorted {
		out = append(out[:e.Offset], append([]byte(e.Text), out[e.Offset+e.Length:]...)...)
	}
	return out
}

// lineEnding is how a file ends most of its lines: LF, CRLF, or CR alone.
func lineEnding(src []byte) string {
	crlf := bytes.Count(src, []byte("\r\n"))
	cr := bytes.Count(src, []byte("\r")) - crlf
	lf := bytes.Count(src, []byte("\n")) - crlf
	switch {
	case crlf > lf && crlf >= cr:
		return "\r\n"
	case cr > lf && cr > crlf:
		return "\r"
	}
	return "\n"
}

// withLineEnding writes an edit's newlines as the file writes its own.
func withLineEnding(edits []Edit, eol string) []Edit {
	if eol == "\n" {
		return edits
	}
	out := make([]Edit, len(edits))
	for i, e := range edits {
		e.Text = strings.ReplaceAll(e.Text, "\n", eol)
		out[i] = e
	}
	return out
}

// lineStart is the offset where line n starts; past the last line, the
// file's end, after a newline added where the last line has none.
func lineStart(f *workflow.File, n int) (offset int, prefix string) {
	if n <= f.Lines() {
		off := f.Offset(workflow.Pos{Line: n, Col: 1})
		if n == f.Lines() && off == len(f.Source) && len(f.Source) > 0 && !endsWithNewline(f.Source) {
			return len(f.Source), "\n"
		}
		return off, ""
	}
	if len(f.Source) > 0 && !endsWithNewline(f.Source) {
		return len(f.Source), "\n"
	}
	return len(f.Source), ""
}

func endsWithNewline(src []byte) bool {
	return bytes.HasSuffix(src, []byte("\n")) || bytes.HasSuffix(src, []byte("\r"))
}

// afterLine is the offset just past line n's end, and the newline to write
// first when line n is the last and has none.
func afterLine(f *workflow.File, n int) (int, string) {
	return lineStart(f, n+1)
}

// insertJobs puts jobs first under jobs:, so that they read first: before
// the first line that is not blank (a comment above the first job stays
// with it), followed by a blank line when the file keeps its jobs apart so.
func insertJobs(f *workflow.File, before *workflow.Job, text string) (Edit, error) {
	if !f.JobsBlock || len(f.Jobs) == 0 {
		return Edit{}, fmt.Errorf("jobs: is not written as a block of jobs")
	}
	blank := blankBetweenJobs(f)
	if before == nil {
		// After the last job: after its last line that is not blank.
		last := f.Lines()
		for last > f.JobsKey.Line && strings.TrimSpace(f.Line(last)) == "" {
			last--
		}
		at, prefix := afterLine(f, last)
		if blank || len(f.Jobs) == 1 {
			prefix += "\n"
		}
		return Edit{Offset: at, Text: prefix + text}, nil
	}
	// Before the job, and before the comment lines right above it, which
	// belong to it.
	line := before.Pos.Line
	for line-1 > f.JobsKey.Line && strings.HasPrefix(strings.TrimSpace(f.Line(line-1)), "#") {
		line--
	}
	if blank || len(f.Jobs) == 1 {
		text += "\n"
	}
	at, prefix := lineStart(f, line)
	return Edit{Offset: at, Text: prefix + text}, nil
}

// blankBetweenJobs reports a file that puts blank lines between its jobs.
func blankBetweenJobs(f *workflow.File) bool {
	for _, j := range f.Jobs[1:] {
		if strings.TrimSpace(f.Line(j.Pos.Line-1)) == "" {
			return true
		}
	}
	return false
}

// needsEdit adds ids to a job's needs, in the form its needs are written:
// a new needs: line, a name turned into [name, id], a flow list extended
// (a trailing comma kept), or a - id line after the block list's last item.
// A job or needs: read through an alias is refused: its text is shared.
func needsEdit(f *workflow.File, j *workflow.Job, ids []string) (Edit, error) {
	list := strings.Join(ids, ", ")
	switch {
	case j.Alias:
		return Edit{}, fmt.Errorf("job %s is written as an alias of another job, so its text is shared; add needs: %s to it by hand", j.ID, list)
	case j.NeedsValue != nil && j.NeedsValue.Alias:
		return Edit{}, fmt.Errorf("the needs: of job %s is an alias, shared with other jobs; write its list out and add %s", j.ID, list)
	case j.NeedsValue == nil:
		if j.BodyCol == 0 {
			return Edit{}, fmt.Errorf("job %s is written in flow style ({…}); add needs: %s to it by hand", j.ID, list)
		}
		value := list
		if len(ids) > 1 {
			value = "[" + list + "]"
		}
		after := j.Pos.Line
		if j.Name != nil && j.Name.Pos.Line == j.Pos.Line+1 && j.Name.Style != workflow.Block {
			after = j.Name.Pos.Line // a job's name reads first
		}
		at, prefix := afterLine(f, after)
		return Edit{Offset: at, Text: prefix + strings.Repeat(" ", j.BodyCol-1) + "needs: " + value + "\n"}, nil
	case j.NeedsValue.Seq && j.NeedsValue.Flow:
		start := f.Offset(j.NeedsValue.Pos)
		end := closingBracket(f.Source, start+1)
		if end < 0 {
			return Edit{}, fmt.Errorf("the needs: list of job %s does not close on its line; add %s by hand", j.ID, list)
		}
		inner := strings.TrimRight(string(f.Source[start+1:end]), " \t")
		switch {
		case strings.TrimSpace(inner) == "":
			return Edit{Offset: start + 1, Length: end - start - 1, Text: list}, nil
		case strings.HasSuffix(inner, ","):
			return Edit{Offset: start + 1 + len(inner), Text: " " + list + ","}, nil
		}
		return Edit{Offset: start + 1 + len(inner), Text: ", " + list}, nil
	case j.NeedsValue.Seq:
		if len(j.NeedsValue.Items) == 0 {
			return Edit{}, fmt.Errorf("the needs: of job %s is an empty list; add %s by hand", j.ID, list)
		}
		last := j.NeedsValue.Items[len(j.NeedsValue.Items)-1]
		dash := dashBefore(f, last.Pos)
		at, prefix := afterLine(f, last.Pos.Line)
		var b strings.Builder
		b.WriteString(prefix)
		for _, id := range ids {
			b.WriteString(strings.Repeat(" ", max(dash, 0)) + "- " + id + "\n")
		}
		return Edit{Offset: at, Text: b.String()}, nil
	}
	raw := rawText(f, *j.NeedsValue)
	at := f.Offset(j.NeedsValue.Pos)
	return Edit{Offset: at, Length: len(raw), Text: "[" + raw + ", " + list + "]"}, nil
}

// dashBefore is the column (0-based, in characters) of the - that opens the
// block list item standing at p, or -1.
func dashBefore(f *workflow.File, p workflow.Pos) int {
	line := []rune(f.Line(p.Line))
	for i := min(p.Col-2, len(line)-1); i >= 0; i-- {
		if line[i] == '-' {
			return i
		}
	}
	return -1
}

// closingBracket is the offset of the ] that closes a flow list, reading
// from just inside its [ and skipping quoted text; -1 when there is none
// on the line.
func closingBracket(src []byte, from int) int {
	line := src[from:]
	if nl := bytes.IndexAny(line, "\r\n"); nl >= 0 {
		line = line[:nl]
	}
	rest := string(line)
	for i := range unquoted(rest) {
		if rest[i] == ']' {
			return from + i
		}
	}
	return -1
}

// insertStep puts text (a step, written at the step's own indentation)
// right before step s of job j.
func insertStep(f *workflow.File, j *workflow.Job, s *workflow.Step, text string) (Edit, error) {
	if j.Alias || j.StepsFlow || s.Flow {
		return Edit{}, fmt.Errorf("the steps of job %s are not written as a block list, so a step cannot be inserted; add it by hand", j.ID)
	}
	if dashBefore(f, s.Pos) < 0 {
		return Edit{}, fmt.Errorf("the step cannot be placed in job %s; add it by hand", j.ID)
	}
	return Edit{Offset: f.Offset(workflow.Pos{Line: s.Pos.Line, Col: 1}), Text: text}, nil
}

// indents reads how the file indents: jobs' keys, a job's body, a step's
// dash under steps:, and a step's keys (the dash and what follows it, "- "
// or "-   ").
type indents struct {
	job, body, dash, step int
}

func fileIndents(f *workflow.File) indents {
	in := indents{job: 2, body: 4, dash: 6, step: 8}
	if len(f.Jobs) == 0 {
		return in
	}
	j := f.Jobs[0]
	in.job = j.Pos.Col - 1
	if j.BodyCol > 0 {
		in.body = j.BodyCol - 1
	}
	unit := max(in.body-in.job, 1)
	in.dash, in.step = in.body+unit, in.body+2*unit
	for _, job := range f.Jobs {
		if job.StepsKey == nil || len(job.Steps) == 0 || job.StepsFlow {
			continue
		}
		first := job.Steps[0].Pos
		dash := dashBefore(f, first)
		if dash < 0 {
			continue
		}
		in.dash = dash - (job.StepsKey.Col - 1) + in.body
		in.step = in.dash + (first.Col - 1 - dash)
		break
	}
	return in
}

// rawWithComment is a scalar as written with its trailing comment (a pin's
// "# v4.2.2").
func rawWithComment(f *workflow.File, v workflow.Value) string {
	rest, ok := restOfLine(f, v)
	if !ok {
		return v.Text
	}
	return strings.TrimSpace(rest)
}
