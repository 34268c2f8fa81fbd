package audit

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/workflow"
)

// A run is one workflow file as GitHub runs it: its jobs, with the jobs of
// the local reusable workflows they call folded in, each a node. The rules
// and the fix ask the run plan (plan.go) what can run before what.

type run struct {
	// plan is the run's planner, once made; refs its secret reads, once
	// listed (secretRefs).
	plan   *planner
	refs   []finding.SecretRef
	reffed bool
	root   *workflow.File
	nodes  []*node
	// top are the nodes of the root file's own jobs, in file order.
	top []*node
	// triggers are the events that start the run: the root file's on:,
	// or workflow_call alone for a called workflow read on its own.
	triggers []workflow.Trigger
	// skipped says what a bound left out, for one notice.
	skipped []string
}

// events are the events of every node of the run, node by node, each
// node's in its order.
func (r *run) events() iter.Seq[*event] {
	return func(yield func(*event) bool) {
		for _, n := range r.nodes {
			for _, e := range n.events {
				if !yield(e) {
					return
				}
			}
		}
	}
}

type node struct {
	// idx numbers the node in its run's planner, for outcomes.
	idx  int
	id   string // the job's ID, or CALLER/CALLEE for a called workflow's job
	file *workflow.File
	job  *workflow.Job
	// top is the root file's job this node belongs to: itself, or the job
	// that calls the workflow it is in; caller is the job that calls the
	// workflow it is in, nil in the root file.
	top    *node
	caller *node
	// needs are the jobs it waits for: those its needs: names and, in a
	// called workflow, those its caller waits for. callees are a call
	// job's jobs: the call ends when they have.
	needs   []*node
	callees []*node
	// cond is the job's if:, read; nil when it has none.
	cond *condition
	// legs are what an expression in the job may know: one per matrix
	// combination (and per calling combination for a called workflow).
	legs []leg
	// matrixUnknown is the matrix expression when it cannot be read
	// statically (fromJSON of an output …).
	matrixUnknown string
	// secrets maps a called workflow's secret names to the names the root
	// workflow passes; nil means the names are the root's own.
	secrets map[string]string
	events  []*event
	// steps are the job's steps with their conditions read.
	steps []*stepPlan
	// outer and outerStep are, for the steps of a local composite action,
	// the job and step that use it: its inputs are that step's with:.
	outer     *node
	outerStep *workflow.Step
	// ancestry is ancestors' answer, once asked.
	ancestry []*node
}

// leg binds what one matrix combination of a job reads.
type leg struct {
	matrix map[string]any
	inputs map[string]any
}

// stepPlan is a step with its if: read.
type stepPlan struct {
	step *workflow.Step
	cond *condition
	// idx numbers the step in its run's planner, and events are what it
	// does, as the planner found them.
	idx    int
	events []*event
}

// maxCallDepth bounds nested reusable workflows: GitHub allows ten levels
// on github.com (docs/facts.md, "Workflows").
const maxCallDepth = 10

// maxNodes bounds the jobs of one run, calls folded in: far past any real
// workflow, and what keeps a hostile file's fan of calls linear.
const maxNodes = 2000

// buildRun reads a workflow file into a run: its jobs and the jobs of the
// workflows they call, each step's condition, and what each step does.
func (a *auditor) buildRun(f *workflow.File) *run {
	r := &run{root: f, triggers: f.Triggers}
	if len(r.triggers) == 0 {
		r.triggers = []workflow.Trigger{{Event: "workflow_call"}}
	}
	byID := map[string]*node{}
	jobs := f.Jobs
	if len(jobs) > maxNodes {
		r.skipped = append(r.skipped, fmt.Sprintf("the jobs after the first %d (of %d)", maxNodes, len(jobs)))
		jobs = jobs[:maxNodes]
	}
	for _, j := range jobs {
		n := &node{id: j.ID, file: f, job: j, cond: a.readCond(j.If)}
		n.top = n
		n.legs, n.matrixUnknown = a.expandMatrix(r, j, []leg{{}})
		r.top = append(r.top, n)
		r.nodes = append(r.nodes, n)
		byID[strings.ToLower(j.ID)] = n
	}
	for _, n := range r.top {
		for _, need := range n.job.Needs {
			if m := byID[strings.ToLower(need.Text)]; m != nil && !slices.Contains(n.needs, m) {
				n.needs = append(n.needs, m)
			}
		}
	}
	for _, n := range r.top {
		if n.job.Uses != nil {
			a.call(r, n, 1, []string{f.Path})
		}
	}
	for _, n := range r.nodes {
		n.steps = make([]*stepPlan, len(n.job.Steps))
		for i, s := range n.job.Steps {
			n.steps[i] = &stepPlan{step: s, cond: a.readCond(s.If)}
		}
	}
	for _, n := range r.nodes {
		a.stepEvents(n)
	}
	return r
}

// call folds the jobs of the workflow a job calls into the run: each needs
// what the calling job needs, and the calling job (standing for the call's
// end) waits for them all.
func (a *auditor) call(r *run, caller *node, depth int, chain []string) {
	uses := caller.job.Uses.Text
	place := a.place(caller.file, caller.job.Uses.Pos, caller, nil)
	if !strings.HasPrefix(uses, "./") {
		a.remoteCall(caller, place)
		return
	}
	path, _, _ := strings.Cut(uses, "@")
	callee := a.repo.File(path)
	switch {
	case callee == nil:
		a.unresolved(place, "", "job "+caller.id+" calls "+clipText(uses)+", which is not among the workflows read, so what it pushes is not known.")
		return
	case callee.Err != nil:
		return // reported as unreadable on its own
	case depth > maxCallDepth || slices.Contains(chain, callee.Path):
		a.unresolved(place, "", "job "+caller.id+" calls "+clipText(uses)+" more deeply than GitHub allows, or in a loop; what it pushes is not followed.")
		return
	case len(r.nodes)+len(callee.Jobs) > maxNodes:
		r.skipped = append(r.skipped, "the jobs of "+callee.Path+" called by "+caller.id)
		return
	}
	secrets := a.passedSecrets(caller)
	defaults := map[string]any{}
	if callee.Call != nil {
		for _, in := range callee.Call.Inputs {
			if in.Value.Text != "" || in.Value.Raw != nil {
				defaults[strings.ToLower(in.Name)] = in.Value.Raw
			}
		}
	}
	var legs []leg
	for _, l := range caller.legs {
		legs = append(legs, leg{inputs: a.bindInputs(caller, nil, l, defaults, caller.job.With)})
	}
	legs = dedupeLegs(legs)
	inner := map[string]*node{}
	var added []*node
	for _, j := range callee.Jobs {
		n := &node{id: caller.id + "/" + j.ID, file: callee, job: j, top: caller.top, caller: caller, cond: a.readCond(j.If), secrets: secrets}
		n.legs, n.matrixUnknown = a.expandMatrix(r, j, legs)
		inner[strings.ToLower(j.ID)] = n
		added = append(added, n)
	}
	for _, n := range added {
		n.needs = append(n.needs, caller.needs...)
		for _, need := range n.job.Needs {
			if m := inner[strings.ToLower(need.Text)]; m != nil && !slices.Contains(n.needs, m) {
				n.needs = append(n.needs, m)
			}
		}
	}
	r.nodes = append(r.nodes, added...)
	caller.callees = append(caller.callees, added...)
	for _, n := range added {
		if n.job.Uses != nil {
			a.call(r, n, depth+1, append(chain, callee.Path))
		}
	}
}

// remoteCall notes a reusable workflow in another repository: its jobs
// cannot be read, so any secret it is passed may push there unseen.
func (a *auditor) remoteCall(caller *node, place Place) {
	var passed []string
	switch {
	case caller.job.InheritSecrets:
		passed = []string{"every secret (secrets: inherit)"}
	default:
		for _, s := range caller.job.Secrets {
			passed = append(passed, s.Name)
		}
	}
	if len(passed) == 0 {
		return
	}
	if r := knownReusable(caller); r != nil {
		return // a recogniser reads it (events.go)
	}
	a.unresolved(place, "", "job "+caller.id+" calls "+clipText(caller.job.Uses.Text)+", a reusable workflow in another repository, and passes it "+
		strings.Join(passed, ", ")+"; token-gate cannot read it, so whether it pushes with them is not known.")
}

// passedSecrets maps the secret names a called workflow sees to the names
// of the root workflow: secrets: inherit passes them as they are, a
// secrets: mapping renames them, and GITHUB_TOKEN is always there.
func (a *auditor) passedSecrets(caller *node) map[string]string {
	if caller.job.InheritSecrets {
		return caller.secrets // the caller's own view, nil at the root
	}
	out := map[string]string{"GITHUB_TOKEN": "GITHUB_TOKEN"}
	for _, s := range caller.job.Secrets {
		for _, name := range caller.secretRefs(s.Value.Text, nil, 0) {
			out[strings.ToUpper(s.Name)] = name
		}
	}
	return out
}

// bindInputs is what inputs.X reads where n (at step s, for a local
// action) passes with: in one of its legs: each value evaluated, or
// unknownInput when only the run knows it, and the defaults for the rest.
func (a *auditor) bindInputs(n *node, s *workflow.Step, l leg, defaults map[string]any, with []workflow.Var) map[string]any {
	out := maps.Clone(defaults)
	for _, w := range with {
		if v, ok := a.eval(n, s, l, w.Value.Text); ok {
			out[strings.ToLower(w.Name)] = v
		} else {
			out[strings.ToLower(w.Name)] = unknownInput{}
		}
	}
	return out
}

// unknownInput marks an input a call passes whose value is not known
// before the run: it is neither its default nor absent.
type unknownInput struct{}

// ancestors lists every job a node waits for, directly or not, once each:
// a job's implicit success() covers them all, not only its needs
// (docs/facts.md, "Job dependencies").
func (n *node) ancestors() []*node {
	if n.ancestry != nil {
		return n.ancestry
	}
	out := []*node{}
	seen := map[*node]bool{}
	var walk func(*node)
	walk = func(m *node) {
		for _, p := range m.needs {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
				walk(p)
			}
		}
		if m.caller != nil && !seen[m.caller] {
			// A called job runs only when its caller does: the caller's
			// own needs are among its needs already.
			walk(m.caller)
		}
	}
	walk(n)
	n.ancestry = out
	return out
}

// hasAncestor reports whether n waits for m.
func (n *node) hasAncestor(m *node) bool {
	return slices.Contains(n.ancestors(), m)
}

// topological orders nodes so that each comes after those it needs; a
// cycle (which GitHub refuses) keeps file order.
func topological(nodes []*node) []*node {
	index := map[*node]int{}
	for i, n := range nodes {
		index[n] = i
	}
	var out []*node
	state := map[*node]int{}
	var visit func(*node)
	visit = func(n *node) {
		if state[n] != 0 {
			return
		}
		state[n] = 1
		deps := append([]*node(nil), n.needs...)
		slices.SortStableFunc(deps, func(a, b *node) int { return index[a] - index[b] })
		for _, d := range deps {
			if _, in := index[d]; in {
				visit(d)
			}
		}
		state[n] = 2
		out = append(out, n)
	}
	for _, n := range nodes {
		visit(n)
	}
	return out
}

// soleExpr is the expression text holds when it is one ${{ }} and nothing
// else.
func soleExpr(text string) (string, bool) {
	segs, err := expr.Scan(text)
	if err != nil || len(segs) != 1 || !segs[0].Expr {
		return "", false
	}
	return segs[0].Text, true
}

// exprNode parses an expression for evaluation, or nil.
func exprNode(text string) expr.Node {
	n, err := expr.Parse(text)
	if err != nil {
		return nil
	}
	return n
}
