package audit

import (
	"slices"
	"sort"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/workflow"
)

// A run is one workflow file as GitHub runs it: its jobs, with the jobs of
// the local reusable workflows they call folded in, each a node that needs
// others. The rules reason about what happens before what in a run.

type run struct {
	root  *workflow.File
	nodes []*node
	// top are the nodes of the root file's own jobs, in file order.
	top []*node
}

type node struct {
	id   string // the job's ID, or CALLER/CALLEE for a called workflow's job
	file *workflow.File
	job  *workflow.Job
	// top is the root file's job this node belongs to: itself, or the job
	// that calls the workflow it is in; caller is the job that calls the
	// workflow it is in, nil in the root file.
	top    *node
	caller *node
	needs  []*node
	// overrides is an if: that runs the job whatever its needs did
	// (always(), failure(), cancelled()).
	overrides bool
	events    []*event
	// contexts are what an expression in the job may know: one per matrix
	// combination (and per calling combination for a called workflow).
	contexts []context
	// matrixUnknown is the matrix expression when it cannot be read
	// statically (fromJSON of an output …).
	matrixUnknown string
	// secrets maps a called workflow's secret names to the names the root
	// workflow passes; nil means the names are the root's own.
	secrets map[string]string
	// gated is gatedBy's answer, once asked.
	gated map[*node]bool
}

// context binds what a job's expressions may read.
type context struct {
	matrix map[string]any
	inputs map[string]any
}

// overridesNeeds reports an if: under which a job runs even when a job it
// needs failed (GitHub docs, "Using conditions to control job execution":
// success() is the default, always(), failure() and cancelled() change it).
func overridesNeeds(v *workflow.Value) bool {
	if v == nil {
		return false
	}
	s := strings.ToLower(v.Text)
	return strings.Contains(s, "always()") || strings.Contains(s, "failure()") || strings.Contains(s, "cancelled()")
}

// maxCallDepth bounds nested reusable workflows: GitHub allows four levels.
const maxCallDepth = 4

func (a *auditor) buildRun(f *workflow.File) *run {
	r := &run{root: f}
	byID := map[string]*node{}
	for _, j := range f.Jobs {
		n := &node{id: j.ID, file: f, job: j, overrides: overridesNeeds(j.If)}
		n.top = n
		n.contexts, n.matrixUnknown = a.expandMatrix(j, []context{{}})
		r.top = append(r.top, n)
		r.nodes = append(r.nodes, n)
		byID[strings.ToLower(j.ID)] = n
	}
	for _, n := range r.top {
		for _, need := range n.job.Needs {
			if m := byID[strings.ToLower(need.Text)]; m != nil {
				n.needs = append(n.needs, m)
			}
		}
	}
	for _, n := range r.top {
		if n.job.Uses != nil {
			a.call(r, n, 1, []string{f.Path})
		}
	}
	return r
}

// call folds the jobs of the workflow a job calls into the run: each needs
// what the calling job needs, and the calling job (standing for the call's
// end) needs them all.
func (a *auditor) call(r *run, caller *node, depth int, chain []string) {
	uses := caller.job.Uses.Text
	place := a.place(caller.file, caller.job.Uses.Pos, caller, nil)
	if !strings.HasPrefix(uses, "./") {
		a.remoteCall(caller, place)
		return
	}
	callee := a.repo.File(strings.SplitN(uses, "@", 2)[0])
	switch {
	case callee == nil:
		a.unresolved(place, "", "job "+caller.id+" calls "+uses+", which is not among the workflows read, so what it pushes is not known.")
		return
	case callee.Err != nil:
		return // reported as unreadable on its own
	case depth > maxCallDepth || slices.Contains(chain, callee.Path):
		a.unresolved(place, "", "job "+caller.id+" calls "+uses+" more deeply than GitHub allows, or in a loop; what it pushes is not followed.")
		return
	}
	secrets := a.passedSecrets(caller)
	var contexts []context
	for _, c := range caller.contexts {
		contexts = append(contexts, context{inputs: a.boundInputs(caller, c, callee)})
	}
	outer := caller.needs
	inner := map[string]*node{}
	var added []*node
	for _, j := range callee.Jobs {
		n := &node{id: caller.id + "/" + j.ID, file: callee, job: j, top: caller.top, caller: caller, overrides: overridesNeeds(j.If), secrets: secrets}
		n.contexts, n.matrixUnknown = a.expandMatrix(j, contexts)
		inner[strings.ToLower(j.ID)] = n
		added = append(added, n)
	}
	for _, n := range added {
		n.needs = append(n.needs, outer...)
		for _, need := range n.job.Needs {
			if m := inner[strings.ToLower(need.Text)]; m != nil {
				n.needs = append(n.needs, m)
			}
		}
		if caller.overrides {
			n.overrides = true
		}
	}
	r.nodes = append(r.nodes, added...)
	caller.needs = append(caller.needs, added...)
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
	a.unresolved(place, "", "job "+caller.id+" calls "+caller.job.Uses.Text+", a reusable workflow in another repository, and passes it "+
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
		for _, name := range caller.secretRefs(s.Value.Text, nil, caller.contexts, 0) {
			out[strings.ToUpper(s.Name)] = name
		}
	}
	return out
}

// boundInputs evaluates the inputs a call passes, in one context of the
// caller, with the called workflow's defaults for the rest.
func (a *auditor) boundInputs(caller *node, c context, callee *workflow.File) map[string]any {
	out := map[string]any{}
	if callee.Call != nil {
		for _, in := range callee.Call.Inputs {
			if in.Value.Text != "" || in.Value.Raw != nil {
				out[strings.ToLower(in.Name)] = in.Value.Raw
			}
		}
	}
	for _, w := range caller.job.With {
		if v, ok := a.eval(caller, nil, c, w.Value.Text); ok {
			out[strings.ToLower(w.Name)] = v
		} else {
			delete(out, strings.ToLower(w.Name))
		}
	}
	return out
}

// expandMatrix lists a job's matrix combinations for each outer context,
// as GitHub does (GitHub docs, "Running variations of jobs in a workflow"):
// the product of the rows, less what exclude names, then each include
// added to every combination it does not overwrite, or as a combination of
// its own. An expression matrix cannot be known here.
func (a *auditor) expandMatrix(j *workflow.Job, outer []context) ([]context, string) {
	m := j.Matrix
	if m == nil {
		return outer, ""
	}
	switch {
	case m.Expr != nil:
		return outer, m.Expr.Text
	case m.IncludeExpr != nil:
		return outer, m.IncludeExpr.Text
	case m.ExcludeExpr != nil:
		return outer, m.ExcludeExpr.Text
	}
	for _, row := range m.Rows {
		if row.Expr != nil {
			return outer, row.Expr.Text
		}
	}
	combos := []map[string]any{{}}
	for _, row := range m.Rows {
		var next []map[string]any
		for _, c := range combos {
			for _, v := range row.Values {
				n := clone(c)
				n[row.Key] = v
				next = append(next, n)
			}
		}
		combos = next
	}
	if len(m.Rows) == 0 {
		combos = nil
	}
	var kept []map[string]any
	for _, c := range combos {
		if !excluded(c, m.Exclude) {
			kept = append(kept, c)
		}
	}
	original := len(kept)
	for _, inc := range m.Include {
		added := false
		for i := range kept[:original] {
			if overwrites(kept[i], inc, m.Rows) {
				continue
			}
			for k, v := range inc {
				kept[i][k] = v
			}
			added = true
		}
		if !added {
			kept = append(kept, clone(inc))
		}
	}
	if len(kept) == 0 {
		kept = []map[string]any{{}}
	}
	var out []context
	for _, o := range outer {
		for _, c := range kept {
			out = append(out, context{matrix: c, inputs: o.inputs})
		}
	}
	return out, ""
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// excluded reports a combination that an exclude entry matches in every
// key it names (a nested object matching by the keys it names).
func excluded(c map[string]any, excludes []map[string]any) bool {
	for _, ex := range excludes {
		if matchesAll(c, ex) {
			return true
		}
	}
	return false
}

func matchesAll(c, pattern map[string]any) bool {
	for k, want := range pattern {
		if !partialEqual(c[k], want) {
			return false
		}
	}
	return true
}

func partialEqual(got, want any) bool {
	if w, ok := want.(map[string]any); ok {
		g, ok := got.(map[string]any)
		return ok && matchesAll(g, w)
	}
	return expr.String(got) == expr.String(want)
}

// overwrites reports whether an include entry would change one of the
// combination's original matrix values.
func overwrites(c, inc map[string]any, rows []workflow.Row) bool {
	for _, row := range rows {
		if v, ok := inc[row.Key]; ok && !partialEqual(c[row.Key], v) {
			return true
		}
	}
	return false
}

// lookup answers an expression's property paths in a context: matrix.*,
// inputs.*, env.* from the env in scope, and the repository's name when
// known. Secrets are never evaluated.
func (a *auditor) lookup(n *node, s *workflow.Step, c context) expr.Lookup {
	return func(path []string) (any, bool) {
		switch strings.ToLower(path[0]) {
		case "matrix":
			return walkPath(c.matrix, path[1:])
		case "inputs":
			if c.inputs == nil {
				return nil, false
			}
			return walkPath(c.inputs, path[1:])
		case "env":
			if len(path) != 2 {
				return nil, false
			}
			v, ok := n.envValue(s, path[1])
			if !ok || expr.HasExpr(v.Text) {
				return nil, false
			}
			return v.Text, true
		case "github":
			if len(path) < 2 || a.opts.Repository == "" {
				return nil, false
			}
			owner, name, _ := strings.Cut(a.opts.Repository, "/")
			switch strings.ToLower(strings.Join(path[1:], ".")) {
			case "repository":
				return a.opts.Repository, true
			case "repository_owner":
				return owner, true
			case "event.repository.name":
				return name, true
			}
		}
		return nil, false
	}
}

func walkPath(m map[string]any, path []string) (any, bool) {
	var v any = m
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, true // a missing key reads as null
		}
		v = nil
		for k, x := range obj {
			if strings.EqualFold(k, p) {
				v = x
			}
		}
	}
	return v, true
}

// template is text compiled once: a matrix fills the same names in every
// combination.
func (a *auditor) template(text string) expr.Template {
	t, ok := a.templates[text]
	if !ok {
		t = expr.Compile(text)
		a.templates[text] = t
	}
	return t
}

// eval evaluates a value that is one expression, or text with expressions
// in it, in one context.
func (a *auditor) eval(n *node, s *workflow.Step, c context, text string) (any, bool) {
	t := a.template(text)
	if node, whole, ok := t.Whole(); whole {
		// A value that is one expression keeps its type (a list, a
		// number), as GitHub gives it.
		if !ok {
			return nil, false
		}
		return expr.Eval(node, a.lookup(n, s, c))
	}
	return t.Interpolate(a.lookup(n, s, c), nil)
}

// envValue finds an env variable in scope: the step's, the job's, then the
// workflow's (a called workflow does not see its caller's env).
func (n *node) envValue(s *workflow.Step, name string) (workflow.Value, bool) {
	if s != nil {
		if v, ok := workflow.Lookup(s.Env, name); ok {
			return v, true
		}
	}
	if v, ok := workflow.Lookup(n.job.Env, name); ok {
		return v, true
	}
	return workflow.Lookup(n.file.Env, name)
}

// secretRefs lists the secrets a value carries, by the names the root
// workflow knows them by: secrets.NAME (renamed through a call's secrets:),
// secrets.GITHUB_TOKEN and github.token as GITHUB_TOKEN, and env.NAME or
// $NAME through the env in scope.
func (n *node) secretRefs(text string, s *workflow.Step, contexts []context, depth int) []string {
	if depth > 4 {
		return nil
	}
	var out []string
	add := func(name string) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	segs, _ := expr.Scan(text)
	for _, seg := range segs {
		if !seg.Expr {
			for _, v := range shellVars(seg.Text) {
				if val, ok := n.envValue(s, v); ok {
					for _, name := range n.secretRefs(val.Text, s, contexts, depth+1) {
						add(name)
					}
				}
			}
			continue
		}
		parsed, err := expr.Parse(seg.Text)
		if err != nil {
			continue
		}
		for _, path := range expr.Refs(parsed) {
			switch {
			case len(path) == 2 && strings.EqualFold(path[0], "secrets"):
				add(n.rootSecret(path[1]))
			case len(path) == 2 && strings.EqualFold(path[0], "github") && strings.EqualFold(path[1], "token"):
				add("GITHUB_TOKEN")
			case len(path) == 2 && strings.EqualFold(path[0], "env"):
				if val, ok := n.envValue(s, path[1]); ok {
					for _, name := range n.secretRefs(val.Text, s, contexts, depth+1) {
						add(name)
					}
				}
			}
		}
	}
	return out
}

// rootSecret names a secret as the root workflow knows it; "" for one a
// call did not pass (it is empty there).
func (n *node) rootSecret(name string) string {
	if strings.EqualFold(name, "GITHUB_TOKEN") {
		return "GITHUB_TOKEN"
	}
	if n.secrets == nil {
		return name
	}
	return n.secrets[strings.ToUpper(name)]
}

// gatedBy lists the nodes whose failure keeps a node from running: those
// it needs, and theirs, through every job that does not run whatever its
// needs did.
func (n *node) gatedBy() map[*node]bool {
	if n.gated != nil {
		return n.gated // asked once per event pair: kept
	}
	seen := map[*node]bool{}
	var walk func(*node)
	walk = func(m *node) {
		if m.overrides {
			return
		}
		for _, p := range m.needs {
			if !seen[p] {
				seen[p] = true
				walk(p)
			}
		}
	}
	walk(n)
	n.gated = seen
	return seen
}

// topological orders a run's root jobs so that each comes after those it
// needs; a cycle (which GitHub refuses) keeps file order.
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
		sort.SliceStable(deps, func(a, b int) bool { return index[deps[a]] < index[deps[b]] })
		for _, d := range deps {
			if _, top := index[d]; top {
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
