package audit

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/workflow"
)

// The fix: a pre-flight job that checks every push credential of a
// workflow with token-gate, listing every image each pushes, and needs:
// on every job that publishes or pushes and does not already depend on
// it. It is written into the file's text at the parser's positions;
// everything else stays byte for byte.

// filePlan is the fix of one workflow file.
type filePlan struct {
	file  *workflow.File
	jobID string
	// job is the pre-flight job's YAML, indented as the file indents jobs.
	job string
	// needs are the jobs that get needs: on it, in file order.
	needs []*workflow.Job
	// problems are what the fix cannot do, said in its words.
	problems []string
}

// Preflight is the name of the job a fix adds (or a free variant).
const Preflight = "preflight"

// pinnedCheckout is actions/checkout at a release commit, for a workflow
// that uses no checkout of its own: v4.2.2.
const pinnedCheckout = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"

func (a *auditor) plan(runs []*run) {
	for _, r := range runs {
		if !a.needsFix(r.root) {
			continue
		}
		if p := a.planRun(r); p != nil {
			a.fixPlans = append(a.fixPlans, p)
		}
	}
}

// needsFix reports a file with an error the pre-flight job answers.
func (a *auditor) needsFix(f *workflow.File) bool {
	for _, fd := range a.findings {
		if fd.File == f.Path && (fd.Code == CodeUnchecked || fd.Code == CodePublishBeforeCheck) {
			return true
		}
	}
	for _, r := range a.planned {
		if r == f.Path {
			return true
		}
	}
	return false
}

func (a *auditor) planRun(r *run) *filePlan {
	p := &filePlan{file: r.root, jobID: freeJobID(r.root)}
	// Every credential the run uses, in the order it first appears, with
	// every image it pushes in the run.
	type credPlan struct {
		key      credKey
		username string
		images   []string
	}
	var creds []*credPlan
	byKey := map[credKey]*credPlan{}
	touches := map[*node]bool{} // root jobs that publish, push or log in
	for _, n := range r.nodes {
		for _, e := range n.events {
			if e.kind == evPublish || e.kind == evPush || e.kind == evLogin {
				touches[n.top] = true
			}
			if !e.hasCred || e.kind == evCheck {
				continue
			}
			c := byKey[e.cred]
			if c == nil {
				c = &credPlan{key: e.cred}
				byKey[e.cred] = c
				creds = append(creds, c)
			}
			if c.username == "" {
				c.username = e.username
			}
			if e.kind == evPush && e.image != "" && !slices.Contains(c.images, e.image) {
				c.images = append(c.images, e.image)
			}
		}
	}
	if len(creds) == 0 {
		return nil
	}
	// needs: on each root job that touches something and is not yet gated
	// by one that has it.
	gated := map[*node]bool{}
	for _, n := range topological(r.top) {
		for _, m := range n.needs {
			if gated[m] && !n.overrides {
				gated[n] = true
			}
		}
		if gated[n] || !touches[n] {
			continue
		}
		if n.overrides {
			p.problems = append(p.problems, fmt.Sprintf("job %s runs whatever its needs did (its if: says so), so needs: %s cannot hold it back; put a token-gate step in it instead", n.id, p.jobID))
		}
		if _, ok := needsEdit(r.root, n.job, p.jobID); !ok {
			p.problems = append(p.problems, fmt.Sprintf("job %s is written in a form --fix does not edit; add needs: %s to it by hand", n.id, p.jobID))
		}
		p.needs = append(p.needs, n.job)
		gated[n] = true
	}
	sort.SliceStable(p.needs, func(i, j int) bool { return p.needs[i].Pos.Line < p.needs[j].Pos.Line })
	var steps []checkStep
	for _, c := range creds {
		sort.Strings(c.images)
		steps = append(steps, checkStep{key: c.key, username: c.username, images: c.images})
	}
	p.job = a.preflightYAML(r.root, p, steps)
	return p
}

type checkStep struct {
	key      credKey
	username string
	images   []string
}

// freeJobID is "preflight", or the first free "preflight-N".
func freeJobID(f *workflow.File) string {
	id := Preflight
	for i := 2; f.Job(id) != nil; i++ {
		id = fmt.Sprintf("%s-%d", Preflight, i)
	}
	return id
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
		if job.StepsKey == nil || len(job.Steps) == 0 {
			continue
		}
		first := job.Steps[0].Pos
		line := []rune(f.Line(first.Line))
		dash := -1
		for i := min(first.Col-2, len(line)-1); i >= 0; i-- {
			if line[i] == '-' {
				dash = i
				break
			}
		}
		if dash < 0 {
			continue // a flow list of steps: keep the defaults
		}
		in.dash = dash - (job.StepsKey.Col - 1) + in.body
		in.step = in.dash + (first.Col - 1 - dash)
		break
	}
	return in
}

func (a *auditor) preflightYAML(f *workflow.File, p *filePlan, steps []checkStep) string {
	in := fileIndents(f)
	unit := max(in.body-in.job, 1)
	pad := func(n int) string { return strings.Repeat(" ", n) }
	var b strings.Builder
	line := func(indent int, format string, args ...any) {
		fmt.Fprintf(&b, "%s"+format+"\n", append([]any{pad(indent)}, args...)...)
	}
	line(in.job, "%s:", p.jobID)
	if cond := commonIf(f, p.needs); cond != "" {
		line(in.body, "if: %s", cond)
	}
	line(in.body, "runs-on: ubuntu-latest")
	line(in.body, "permissions:")
	line(in.body+unit, "contents: read")
	for _, s := range steps {
		if s.key.secret == "GITHUB_TOKEN" {
			// GITHUB_TOKEN is probed with this job's own permissions.
			line(in.body+unit, "packages: write")
			break
		}
	}
	ref := a.tokenGateRef()
	line(in.body, "steps:")
	item := "-" + pad(in.step-in.dash-1) // the dash and its gap, as the file writes them
	line(in.dash, "%suses: %s", item, a.checkoutRef(f))
	line(in.step, "with:")
	if !strings.HasPrefix(ref, "./") {
		// The audit reads only .github; a local token-gate (./) needs
		// the whole tree to build.
		line(in.step+unit, "sparse-checkout: .github")
	}
	line(in.step+unit, "persist-credentials: false")
	for i, s := range steps {
		line(in.dash, "%suses: %s", item, ref)
		line(in.step, "with:")
		w := in.step + unit
		if i == 0 {
			line(w, "audit: fail")
		}
		github := registryMatches(githubRegistry, s.key.registry)
		if !github {
			line(w, "registry: %s", image.DisplayHost(s.key.registry))
			line(w, "username: %s", orPlaceholder(s.username))
		}
		if s.key.secret == "GITHUB_TOKEN" {
			line(w, "token: ${{ github.token }}")
			line(w, "token-name: GITHUB_TOKEN")
			line(w, "required-scopes: ''")
		} else {
			line(w, "token: ${{ secrets.%s }}", s.key.secret)
			line(w, "token-name: %s", s.key.secret)
		}
		if len(s.images) > 0 {
			line(w, "packages: |")
			for _, img := range s.images {
				line(w+unit, "%s", gateImage(img, s.key.registry, github))
			}
		}
	}
	return b.String()
}

// gateImage writes an image as the check's packages take it: OWNER/NAME
// alone for Docker Hub under registry: docker.io, the whole name for
// GitHub's registry.
func gateImage(img, registry string, github bool) string {
	if !github {
		return strings.TrimPrefix(img, image.DisplayHost(registry)+"/")
	}
	return img
}

func orPlaceholder(username string) string {
	if username == "" {
		return "${{ secrets.REGISTRY_USERNAME }} # the account the registry login uses"
	}
	return username
}

// commonIf is the if: every guarded job shares, as written, or "".
func commonIf(f *workflow.File, jobs []*workflow.Job) string {
	cond := ""
	for i, j := range jobs {
		if j.If == nil {
			return ""
		}
		text := rawText(f, *j.If)
		if i > 0 && text != cond {
			return ""
		}
		cond = text
	}
	return cond
}

// checkoutRef is the checkout the workflow already uses, with its comment,
// or a pinned one.
func (a *auditor) checkoutRef(f *workflow.File) string {
	for _, j := range f.Jobs {
		for _, s := range j.Steps {
			if s.Uses != nil && actionName(s.Uses.Text) == "actions/checkout" {
				return rawWithComment(f, *s.Uses)
			}
		}
	}
	return pinnedCheckout
}

// rawWithComment is a scalar as written with its trailing comment (a pin's
// "# v4.2.2").
func rawWithComment(f *workflow.File, v workflow.Value) string {
	line := f.Line(v.Pos.Line)
	start := f.Offset(v.Pos) - f.Offset(workflow.Pos{Line: v.Pos.Line, Col: 1})
	if start < 0 || start > len(line) {
		return v.Text
	}
	return strings.TrimSpace(line[start:])
}

// tokenGateRef is how the workflows already use token-gate, else the
// default.
func (a *auditor) tokenGateRef() string {
	for _, f := range a.repo.Files {
		for _, j := range f.Jobs {
			for _, s := range j.Steps {
				if s.Uses != nil && isTokenGate(s.Uses.Text, a.repo) && !strings.HasPrefix(s.Uses.Text, "docker://") {
					return rawWithComment(f, *s.Uses)
				}
			}
		}
	}
	return a.opts.TokenGate
}

// fixWords is a finding's fix: the pre-flight job and where it is needed.
// The plan is made after the findings, so the words are filled in then.
func (a *auditor) fixWords(r *run) string {
	a.planned = append(a.planned, r.root.Path)
	return fixPlaceholder + r.root.Path
}

const fixPlaceholder = "\x00fix:"

// fillFixes replaces each finding's placeholder with its file's plan.
func (a *auditor) fillFixes() {
	for i, f := range a.findings {
		path, ok := strings.CutPrefix(f.Fix, fixPlaceholder)
		if !ok {
			continue
		}
		a.findings[i].Fix = "Run this check before anything publishes."
		for _, p := range a.fixPlans {
			if p.file.Path == path {
				a.findings[i].Fix, a.findings[i].Snippet = p.words(), p.job
			}
		}
	}
}

func (p *filePlan) words() string {
	var names []string
	for _, j := range p.needs {
		names = append(names, j.ID)
	}
	text := fmt.Sprintf("Add this %s job, and make %s need it (token-gate audit --fix writes both).", p.jobID, wordsList(names))
	if len(p.problems) > 0 {
		text += " Also: " + strings.Join(p.problems, "; ") + "."
	}
	return text
}

// Edit replaces Length bytes at Offset of a file's source with Text.
type Edit struct {
	Offset, Length int
	Text           string
}

// Fix returns, for each file the audit would change, its new contents.
func (r Result) Fix() map[string][]byte {
	out := map[string][]byte{}
	for _, p := range r.fixes {
		edits := p.edits()
		if len(edits) == 0 {
			continue
		}
		// A file written with CRLF (or CR alone) stays so.
		if eol := lineEnding(p.file.Source); eol != "\n" {
			for i := range edits {
				edits[i].Text = strings.ReplaceAll(edits[i].Text, "\n", eol)
			}
		}
		out[p.file.Path] = Apply(p.file.Source, edits)
	}
	return out
}

// lineEnding is how a file ends its lines: LF, CRLF, or CR alone.
func lineEnding(src []byte) string {
	switch {
	case bytes.Contains(src, []byte("\r\n")):
		return "\r\n"
	case bytes.Contains(src, []byte("\r")):
		return "\r"
	}
	return "\n"
}

// Apply makes the edits, which must not overlap, from the last to the
// first so that each offset still holds.
func Apply(src []byte, edits []Edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].Offset > edits[j].Offset })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		out = append(out[:e.Offset], append([]byte(e.Text), out[e.Offset+e.Length:]...)...)
	}
	return out
}

func (p *filePlan) edits() []Edit {
	f := p.file
	if !f.JobsBlock || len(f.Jobs) == 0 {
		return nil
	}
	var edits []Edit
	// The job goes first under jobs:, so that it reads first: before the
	// first line that is not blank (a comment above the first job stays
	// with it), followed by a blank line when the file keeps its jobs
	// apart so.
	line := f.JobsKey.Line + 1
	for line <= f.Lines() && strings.TrimSpace(f.Line(line)) == "" {
		line++
	}
	sep := ""
	if blankBetweenJobs(f) {
		sep = "\n"
	}
	edits = append(edits, Edit{Offset: f.Offset(workflow.Pos{Line: line, Col: 1}), Text: p.job + sep})
	for _, j := range p.needs {
		if e, ok := needsEdit(f, j, p.jobID); ok {
			edits = append(edits, e)
		}
	}
	return edits
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

// closingBracket is the offset of the ] that closes a flow list, reading
// from an item's start and skipping quoted text; -1 when there is none.
func closingBracket(src []byte, from int) int {
	rest := string(src[from:])
	for i := range unquoted(rest) {
		if rest[i] == ']' {
			return from + i
		}
	}
	return -1
}

// needsEdit adds id to a job's needs, in the form its needs are written:
// a new needs: line, a name turned into [name, id], a flow list extended,
// or a - id line after the block list's last item.
func needsEdit(f *workflow.File, j *workflow.Job, id string) (Edit, bool) {
	switch {
	case j.NeedsValue == nil:
		if j.BodyCol == 0 {
			return Edit{}, false
		}
		at := f.Offset(workflow.Pos{Line: j.Pos.Line + 1, Col: 1})
		return Edit{Offset: at, Text: strings.Repeat(" ", j.BodyCol-1) + "needs: " + id + "\n"}, true
	case j.NeedsValue.Seq && j.NeedsValue.Flow:
		if len(j.NeedsValue.Items) == 0 {
			return Edit{}, false // needs: [] reads as no needs; rare enough to leave to people
		}
		last := j.NeedsValue.Items[len(j.NeedsValue.Items)-1]
		at := f.Offset(last.Pos)
		end := closingBracket(f.Source, at)
		if end < 0 {
			return Edit{}, false
		}
		// Insert before the ] with whatever spacing the list uses.
		inner := strings.TrimRight(string(f.Source[at:end]), " \t")
		return Edit{Offset: at + len(inner), Text: ", " + id}, true
	case j.NeedsValue.Seq:
		last := j.NeedsValue.Items[len(j.NeedsValue.Items)-1]
		dash := strings.Index(f.Line(last.Pos.Line), "-")
		at := f.Offset(workflow.Pos{Line: last.Pos.Line + 1, Col: 1})
		return Edit{Offset: at, Text: strings.Repeat(" ", max(dash, 0)) + "- " + id + "\n"}, true
	}
	raw := rawText(f, *j.NeedsValue)
	at := f.Offset(j.NeedsValue.Pos)
	return Edit{Offset: at, Length: len(raw), Text: "[" + raw + ", " + id + "]"}, true
}
