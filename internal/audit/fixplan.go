package audit

import (
	"fmt"
	"iter"
	"slices"
	"sort"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/workflow"
)

// The fix's plan. Its promise: with good credentials, on every event, the
// fixed workflow runs the same jobs and steps as the original, in an order
// the original allowed; with empty secrets (a fork's pull request) it fails
// nowhere the original did not; and every check it writes can pass. So a
// credential is checked in a preflight job only where that check runs
// exactly when the credential is used (the use's if:, copied where the
// preflight can read it), in the same environment (whose secrets it reads),
// and the jobs that publish or use it need the preflight; where that cannot
// be, the check is a step right before the first login in the using job;
// where not even that, nothing is written for that credential, and the fix
// says why. Every plan is checked against the run plan before it is
// offered (invariant.go).

// filePlan is the fix of one workflow file.
type filePlan struct {
	file *workflow.File
	// edits make the fix.
	edits []Edit
	// jobs are the preflight jobs written, with the jobs that need each.
	jobs []plannedJob
	// steps are the checks written into using jobs; waits the jobs made
	// to wait for a check the run already has.
	steps []plannedStep
	waits []plannedWait
	// problems are what the fix cannot do, in its words; unpinned is the
	// reference token-gate is written at (main, v1) when the file pins its
	// actions by SHA and token-gate could not be.
	problems []string
	unpinned string
	// caveats say what a written fix does not do, one sentence each.
	caveats []string
}

type plannedJob struct {
	id          string
	environment string
	text        string
	guards      []string
	creds       []credKey
}

type plannedWait struct {
	check  string
	guards []string
	cred   credKey
}

type plannedStep struct {
	job  string
	text string
	cred credKey
}

// Preflight is the name of the job a fix adds (or a free variant).
const Preflight = "preflight"

// pinnedCheckout is actions/checkout at a release commit, for a workflow
// that uses no checkout of its own: v4.2.2.
const pinnedCheckout = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"

// check is one token-gate check the fix writes.
type check struct {
	key      credKey
	username string   // as the preflight can write it; "" for GitHub's registry
	packages []string // images, as packages takes them
	// alternatives are the conditions under which the credential is used:
	// any one of them, each all of its parts (if: texts).
	alternatives [][]string
	environment  string
	// needs are jobs whose outputs the conditions read.
	needs []*node
	// uses are the nodes that use it; guards the root jobs that need it.
	uses   []*event
	guards []*node
	// existing is a root job whose token-gate step checks the credential
	// already: the guards need it, and no job is written.
	existing *node
	// stepOnly says the check can only be a step in the using job, and
	// why; noStep that not even that is written (its job runs whatever
	// came before: nothing before it can hold it back, so the fix says so
	// and changes nothing).
	stepOnly string
	noStep   bool
	// tooMany is how many images it pushes, when more than a check takes.
	tooMany int
}

// planFix makes the fix of one run: checks for the credentials nothing
// checks yet, where findings ask for them.
func (a *auditor) planFix(r *run, cs *credSet) *filePlan {
	want := map[credKey]bool{}
	for _, f := range a.findings {
		if f.File != r.root.Path && !a.inRun(r, f.File) || a.opts.Ignored != nil && a.opts.Ignored(f) {
			continue
		}
		switch f.Code {
		case CodeUnchecked, CodePublishBeforeCheck, CodeImagesInPart:
			for _, s := range strings.Split(f.Secret, ",") {
				for _, k := range runCreds(r) {
					if k.secret == s {
						want[k] = true
					}
				}
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	p := &filePlan{file: r.root}
	switch {
	case r.root.Link:
		p.problems = append(p.problems, "the file is a link, which --fix does not write through; run the audit where the file it points to lives")
		a.fillFixWords(r, p)
		return p
	case !r.root.JobsBlock:
		p.problems = append(p.problems, "jobs: is not written as a block of jobs, so no job can be inserted")
		a.fillFixWords(r, p)
		return p
	}
	var checks []*check
	for _, k := range runCreds(r) {
		if !want[k] {
			continue
		}
		if a.checked(r, k) {
			// Checked already, but not before everything it should be:
			// the jobs left out need the job that checks it, and what
			// cannot wait for it is said.
			c, unheld := a.planExisting(r, k)
			if c != nil {
				checks = append(checks, c)
			}
			p.problems = append(p.problems, unheld...)
			continue
		}
		c, why := a.planCheck(r, cs, k)
		if c == nil {
			p.problems = append(p.problems, fmt.Sprintf("%s is not checked: %s", k.secret, why))
			continue
		}
		checks = append(checks, c)
	}
	if len(checks) > 0 {
		a.keepInvariant(r, p, checks)
	}
	a.fillFixWords(r, p)
	return p
}

// fillFixWords gives the findings the plan answers its words and text.
func (a *auditor) fillFixWords(r *run, p *filePlan) {
	words, snippet := p.words(), p.snippet()
	if words == "" {
		return
	}
	for i, f := range a.findings {
		switch f.Code {
		case CodeUnchecked, CodePublishBeforeCheck, CodeImagesInPart:
			if f.File == r.root.Path || a.inRun(r, f.File) {
				a.findings[i].Fix, a.findings[i].Snippet = words, snippet
			}
		}
	}
}

// inRun reports a file the run reads: its root or a workflow it calls.
func (a *auditor) inRun(r *run, file string) bool {
	return slices.ContainsFunc(r.nodes, func(n *node) bool { return n.file.Path == file })
}

// checked reports a credential some token-gate step of the run checks.
func (a *auditor) checked(r *run, k credKey) bool {
	for e := range r.events() {
		if e.kind == evCheck && e.hasCred && e.cred.matches(k) {
			return true
		}
	}
	return false
}

// planCheck works out one credential's check: its username, images,
// conditions and environment as a preflight job can write them; nil and
// why when no check that can pass can be written.
func (a *auditor) planCheck(r *run, cs *credSet, k credKey) (*check, string) {
	if why := cs.exchanged(k); why != "" {
		return nil, "it is " + why + ", which token-gate cannot check; check it with its cloud's own step first"
	}
	c := &check{key: k}
	github := registryMatches(githubRegistry, k.registry)
	// The images this run pushes with it, not those of other workflows;
	// a check probes at most image.MaxImages, which config enforces.
	imgs := runImages(r, k)
	if len(imgs) > image.MaxImages {
		c.tooMany = len(imgs)
		imgs = imgs[:image.MaxImages]
	}
	for _, img := range imgs {
		c.packages = append(c.packages, gateImage(img, k.registry, github))
	}
	if k.secret == "GITHUB_TOKEN" && len(c.packages) == 0 {
		return nil, "GITHUB_TOKEN is checked only with the images it pushes, and the audit cannot name them"
	}
	envs := map[string]bool{}
	// A job that only logs in (to read) is no use the check must cover:
	// the jobs that push with it are, when there are any.
	pushing := map[*node]bool{}
	for _, n := range r.nodes {
		for _, e := range n.events {
			if e.kind == evPush && e.hasCred && e.cred.matches(k) {
				pushing[n] = true
			}
		}
	}
	for _, n := range r.nodes {
		if len(pushing) > 0 && !pushing[n] {
			continue
		}
		for _, e := range n.events {
			if !e.hasCred || !e.cred.matches(k) || e.kind == evCheck {
				continue
			}
			c.uses = append(c.uses, e)
			envs[environmentOf(n)] = true
			if !github && c.username == "" && e.username != "" {
				user, ok := a.portableUsername(r, n, e)
				if !ok {
					c.stepOnly = "its username (" + clipText(e.username) + ") is known only inside the job that logs in"
				}
				c.username = user
			}
		}
	}
	if !github && c.username == "" && c.stepOnly == "" {
		return nil, "the audit cannot tell the username it logs in with, and a check without it cannot pass"
	}
	if len(envs) > 1 {
		c.stepOnly = "it is used in more than one environment, whose secrets may differ"
	}
	for e := range envs {
		c.environment = e
	}
	if c.stepOnly == "" {
		if why := a.conditions(r, c); why != "" {
			c.stepOnly = why
		}
	}
	return c, ""
}

// environmentOf is a job's environment as written, "" for none.
func environmentOf(n *node) string {
	for m := n; m != nil; m = m.caller {
		if m.job.Environment != nil {
			return rawText(m.file, *m.job.Environment)
		}
	}
	return ""
}

// conditions collects when each use runs, as if: texts a preflight job can
// read: "" when it could, else why not.
func (a *auditor) conditions(r *run, c *check) string {
	seen := map[string]bool{}
	var needs []*node
	always := false
	for _, e := range c.uses {
		if e.kind != evLogin {
			// A push uses the credential only after its job's login to
			// it: the login's conditions are the use's.
			continue
		}
		var parts []string
		var altNeeds []*node
		add := func(cond *condition, n *node, s *workflow.Step) string {
			if cond == nil {
				return ""
			}
			text, deps, why := a.portable(r, cond, n, s)
			if why != "" {
				return why
			}
			if text != "" && !slices.Contains(parts, text) {
				parts = append(parts, text)
				altNeeds = append(altNeeds, deps...)
			}
			return ""
		}
		for m := e.node; m != nil; m = m.caller {
			if m.cond != nil && m.cond.status && m.caller == nil && a.planner(r).runsAfterFailure(m) {
				c.noStep = true
				return "job " + m.id + " runs whatever the jobs before it did, so a check before it cannot hold it back"
			}
			if why := add(m.cond, m, nil); why != "" {
				return why
			}
		}
		if sp := stepPlanOf(e.node, e.step); sp != nil {
			if why := add(sp.cond, e.node, e.step); why != "" {
				return why
			}
		}
		if why := add(e.when, e.node, e.step); why != "" {
			return why
		}
		if len(parts) == 0 {
			always = true
		}
		key := strings.Join(parts, "\x00")
		if !seen[key] {
			seen[key] = true
			c.alternatives = append(c.alternatives, parts)
			for _, d := range altNeeds {
				if !slices.Contains(needs, d) {
					needs = append(needs, d)
				}
			}
		}
	}
	if !always {
		c.needs = needs
	}
	c.alternatives = absorb(c.alternatives)
	return ""
}

// absorb drops an alternative that holds all of another's parts and more:
// A || (A && B) is A.
func absorb(alts [][]string) [][]string {
	var out [][]string
	for i, x := range alts {
		redundant := false
		for j, y := range alts {
			if i == j || len(y) > len(x) || len(y) == len(x) && j > i {
				continue
			}
			all := true
			for _, p := range y {
				if !slices.Contains(x, p) {
					all = false
				}
			}
			redundant = redundant || all
		}
		if !redundant {
			out = append(out, x)
		}
	}
	return out
}

func stepPlanOf(n *node, s *workflow.Step) *stepPlan {
	for _, sp := range n.steps {
		if sp.step == s {
			return sp
		}
	}
	return nil
}

// portable writes a condition as a preflight job's step can read it: an
// if: that reads github, inputs, vars, the workflow's env, or the outputs
// of other jobs (returned, for the preflight to need). In a called
// workflow, its inputs are the expressions its caller passes, and its
// own secrets or env are not the root's. "" text means always.
func (a *auditor) portable(r *run, cond *condition, n *node, s *workflow.Step) (string, []*node, string) {
	if cond.node == nil {
		return "", nil, "an if: (" + clipText(cond.value.Text) + ") the audit cannot read"
	}
	// Status functions speak of what ran before the use; with good
	// credentials all of it succeeded, and so did what runs before the
	// check: success() and !failure() read true, failure() false.
	cnode, home := stripStatus(cond.node), n
	for m := n; m != nil && m.file != r.root; m = m.caller {
		var failed string
		cnode = expr.Rewrite(cnode, func(p expr.Property) (expr.Node, bool) {
			if !strings.EqualFold(p.Path[0], "inputs") || len(p.Path) != 2 || m.caller == nil {
				if !slices.Contains([]string{"github", "vars"}, strings.ToLower(p.Path[0])) {
					failed = p.Path[0]
				}
				return nil, false
			}
			v, ok := workflow.Lookup(m.caller.job.With, p.Path[1])
			if !ok {
				if m.file.Call != nil {
					if def, ok := workflow.Lookup(m.file.Call.Inputs, p.Path[1]); ok && def.Raw != nil {
						return expr.Literal{Value: def.Raw}, true
					}
				}
				return expr.Literal{Value: nil}, true
			}
			return passedNode(v), true
		})
		if failed != "" {
			return "", nil, "a condition in " + n.file.Path + " (" + clipText(cond.value.Text) + ") that reads its own " + failed
		}
		n = m.caller
	}
	// What every event of the run decides alike needs no if:.
	switch a.decided(r, cnode, n) {
	case yes:
		return "", nil, ""
	case no:
		return "false", nil, ""
	}
	cnode = simplify(cnode)
	var deps []*node
	for _, p := range expr.Refs(cnode) {
		switch strings.ToLower(p[0]) {
		case "github", "inputs", "vars":
		case "env":
			if len(p) < 2 || n.envScope(s, p[1]) != "workflow" {
				return "", nil, "an if: (" + clipText(cond.value.Text) + ") that reads the job's own env"
			}
		case "needs":
			var dep *node
			for _, m := range r.top {
				if len(p) >= 2 && strings.EqualFold(m.job.ID, p[1]) {
					dep = m
				}
			}
			if dep == nil || len(p) < 3 || !strings.EqualFold(p[2], "outputs") {
				return "", nil, "an if: (" + clipText(cond.value.Text) + ") that reads how another job ended"
			}
			if !slices.Contains(deps, dep) {
				deps = append(deps, dep)
			}
		case "secrets":
			return "", nil, "an if: that reads secrets, which GitHub does not allow in if:"
		default:
			return "", nil, "an if: (" + clipText(cond.value.Text) + ") that reads " + p[0] + ", known only inside its job"
		}
	}
	if home.file == r.root {
		return condText(cond), deps, ""
	}
	return expr.Format(cnode), deps, ""
}

// passedNode is a with: value as the expression it passes: ${{ X }} is X,
// text is a string, true and numbers are themselves.
func passedNode(v workflow.Value) expr.Node {
	text := strings.TrimSpace(v.Text)
	if x, ok := soleExpr(text); ok {
		if n := exprNode(x); n != nil {
			return n
		}
	}
	if v.Raw != nil {
		return expr.Literal{Value: v.Raw}
	}
	return expr.Literal{Value: text}
}

// condText is an if: as written, without ${{ }}: what a fix copies.
func condText(c *condition) string {
	text := strings.TrimSpace(c.value.Text)
	if x, ok := soleExpr(text); ok {
		return x
	}
	return text
}

// portableUsername writes a login's username as a preflight can: a secret
// by its root name, github.*, a literal; an env variable by its value.
func (a *auditor) portableUsername(r *run, n *node, e *event) (string, bool) {
	user := strings.TrimSpace(e.username)
	if !expr.HasExpr(user) {
		return user, !strings.Contains(user, "$")
	}
	node := exprNode(strings.TrimSuffix(strings.TrimPrefix(user, "${{"), "}}"))
	p, ok := node.(expr.Property)
	if !ok {
		return "", false
	}
	switch strings.ToLower(p.Path[0]) {
	case "secrets":
		if len(p.Path) == 2 {
			if root := n.rootSecret(p.Path[1]); root != "" {
				return "${{ secrets." + root + " }}", true
			}
		}
	case "github", "vars":
		return user, true
	case "env":
		if len(p.Path) == 2 {
			if n.file == r.root && n.envScope(e.step, p.Path[1]) == "workflow" {
				return user, true
			}
			if v, ok := n.envValue(e.step, p.Path[1]); ok && !expr.HasExpr(v.Text) && v.Text != "" {
				return v.Text, true
			}
		}
	case "inputs":
		if n.caller != nil && len(p.Path) == 2 {
			if v, ok := workflow.Lookup(n.caller.job.With, p.Path[1]); ok {
				return a.portableUsername(r, n.caller, &event{username: loginUser(v)})
			}
		}
	}
	return "", false
}

// gateImage writes an image as the check's packages take it: OWNER/NAME
// alone for a registry named by registry:, the whole name for GitHub's.
func gateImage(img, registry string, github bool) string {
	if !github {
		return strings.TrimPrefix(img, image.DisplayHost(registry)+"/")
	}
	return img
}

// guards are the root jobs that must wait for a credential's check: those
// that use it, those whose publishes a bad credential would leave behind
// (publish-before-check), and those whose pushes would be left in part;
// less the ones that already wait for another of them, and the ones that
// run whatever came before (they are said to cannot-gate).
func (a *auditor) guards(r *run, c *check) []*node {
	p := a.planner(r)
	set := map[*node]bool{}
	for _, e := range c.uses {
		set[e.node.top] = true
	}
	for _, mode := range []badMode{expired, noRights} {
		p.whileBad(c.key, mode, func(ran iter.Seq[*event]) {
			for e := range ran {
				if e.kind == evPublish || e.kind == evPush && !(e.hasCred && e.cred.matches(c.key)) {
					set[e.node.top] = true
				}
			}
		})
	}
	var out []*node
	for _, n := range r.top {
		if !set[n] || n.cond != nil && n.cond.status && p.runsAfterFailure(n) {
			continue
		}
		downstream := false
		for m := range set {
			if m != n && n.hasAncestor(m) && !(m.cond != nil && m.cond.status && p.runsAfterFailure(m)) {
				downstream = true
			}
		}
		if !downstream {
			out = append(out, n)
		}
	}
	return out
}

// freeJobID is name, or the first free name-N.
func freeJobID(f *workflow.File, name string, taken []string) string {
	id := name
	for i := 2; f.Job(id) != nil || slices.Contains(taken, id); i++ {
		id = fmt.Sprintf("%s-%d", name, i)
	}
	return id
}

// maxJobsNamed bounds the jobs a fix's words name; the text it writes
// names them all.
const maxJobsNamed = 12

// words is the plan in one sentence, for the findings' fix.
func (p *filePlan) words() string {
	var parts []string
	for _, j := range p.jobs {
		part := fmt.Sprintf("add the %s job (shown), and make %s need it", j.id, wordsList(clipList(j.guards, maxJobsNamed)))
		if j.environment != "" {
			part += fmt.Sprintf(" (it runs in environment %s, whose secrets the check reads: if %s requires reviewers, they approve it too)", j.environment, j.environment)
		}
		parts = append(parts, part)
	}
	for _, s := range p.steps {
		parts = append(parts, fmt.Sprintf("check %s in job %s, right before its login", s.cred.secret, s.job))
	}
	for _, w := range p.waits {
		parts = append(parts, fmt.Sprintf("make %s need %s, which checks %s", wordsList(clipList(w.guards, maxJobsNamed)), w.check, w.cred.secret))
	}
	var sentences []string
	if len(parts) > 0 {
		sentences = append(sentences, "token-gate audit --fix writes this: "+wordsList(parts)+".")
	}
	sentences = append(sentences, p.caveats...)
	if p.unpinned != "" {
		sentences = append(sentences, fmt.Sprintf("This workflow pins its actions by commit SHA: pin token-gate the same way before merging (the commit @%s stands at: gh api repos/token-gate/token-gate/commits/%s --jq .sha).", p.unpinned, p.unpinned))
	}
	if len(p.problems) > 0 {
		sentences = append(sentences, "Not written: "+strings.Join(p.problems, "; ")+".")
	}
	return strings.Join(sentences, " ")
}

// snippet is the workflow text the fix adds, for people.
func (p *filePlan) snippet() string {
	var b strings.Builder
	for _, j := range p.jobs {
		b.WriteString(j.text)
	}
	for _, s := range p.steps {
		b.WriteString(s.text)
	}
	return b.String()
}

// applied is the file with the plan's edits made, its newlines written as
// the file writes its own.
func (p *filePlan) applied() []byte {
	return Apply(p.file.Source, withLineEnding(p.edits, lineEnding(p.file.Source)))
}

// sortedNodes orders nodes by their place in the file.
func sortedNodes(nodes []*node) []*node {
	out := slices.Clone(nodes)
	sort.SliceStable(out, func(i, j int) bool { return out[i].job.Pos.Line < out[j].job.Pos.Line })
	return out
}

type verdict int

const (
	unsure verdict = iota
	yes
	no
)

// decided says whether a condition holds alike on every event that starts
// the run, by what each event fixes.
func (a *auditor) decided(r *run, c expr.Node, n *node) verdict {
	seen := unsure
	for _, t := range r.triggers {
		name, action := eventValues(&t)
		look := func(path []string) (any, bool) {
			if v, ok := triggerContext(&t, name, action, path); ok {
				return v, true
			}
			if strings.EqualFold(path[0], "github") {
				return nil, false // the fixed file runs in forks too
			}
			return a.contextValue(n, nil, leg{}, path)
		}
		v, known := expr.Truth(c, look, expr.Status{Success: true}, func(key string) (bool, bool) { return eventFact(&t, key) })
		if !known {
			return unsure
		}
		this := no
		if v {
			this = yes
		}
		if seen != unsure && seen != this {
			return unsure
		}
		seen = this
	}
	return seen
}

// simplify drops what cannot change a condition: X && true is X, X ||
// false is X (a caller's input that is always true, say).
func simplify(n expr.Node) expr.Node {
	b, ok := n.(expr.Binary)
	if !ok {
		return n
	}
	l, r := simplify(b.L), simplify(b.R)
	isLit := func(x expr.Node, v bool) bool {
		lit, ok := x.(expr.Literal)
		return ok && lit.Value == v
	}
	switch {
	case b.Op == "&&" && (isLit(l, false) || isLit(r, false)):
		return expr.Literal{Value: false}
	case b.Op == "||" && (isLit(l, true) || isLit(r, true)):
		return expr.Literal{Value: true}
	case b.Op == "&&" && isLit(r, true):
		return l
	case b.Op == "&&" && isLit(l, true):
		return r
	case b.Op == "||" && isLit(r, false):
		return l
	case b.Op == "||" && isLit(l, false):
		return r
	}
	return expr.Binary{Op: b.Op, L: l, R: r}
}

// planExisting makes the jobs a check already in the run does not hold
// back wait for its job: nil when there are none, or no root job with an
// if: of its own (or none) checks it. unheld says which jobs cannot wait
// for it, and why.
func (a *auditor) planExisting(r *run, k credKey) (*check, []string) {
	var job *node
	p := a.planner(r)
	for _, n := range r.top {
		for _, e := range n.events {
			if e.kind == evCheck && e.hasCred && e.cred.matches(k) && job == nil && (n.cond == nil || !n.cond.status || !p.runsAfterFailure(n)) {
				job = n
			}
		}
	}
	if job == nil {
		return nil, nil
	}
	c := &check{key: k, existing: job}
	for e := range r.events() {
		if e.hasCred && e.cred.matches(k) && (e.kind == evLogin || e.kind == evPush) {
			c.uses = append(c.uses, e)
		}
	}
	var guards, before []*node
	for _, g := range a.guards(r, c) {
		switch {
		case g == job || g.hasAncestor(job):
		case job.hasAncestor(g):
			before = append(before, g) // the check waits for it
		default:
			guards = append(guards, g)
		}
	}
	var unheld []string
	if len(before) > 0 {
		unheld = append(unheld, fmt.Sprintf("%s is checked in job %s, which itself waits for %s: what %s publish%s comes before the check", k.secret, job.id, wordsList(nodeIDs(before)), wordsList(nodeIDs(before)), agree(len(before), "es", "")))
	}
	for _, h := range a.unguardable(r, c) {
		unheld = append(unheld, fmt.Sprintf("job %s runs whatever the jobs before it did, so the check of %s does not hold it back: make its if: wait for job %s (needs.%s.result == 'success')", h.id, k.secret, job.id, job.job.ID))
	}
	if len(guards) == 0 {
		return nil, unheld
	}
	c.guards = guards
	return c, unheld
}

// runImages are the images a run pushes with a credential, named or named
// by what the runner fills in, sorted.
func runImages(r *run, k credKey) []string {
	var out []string
	seen := map[string]bool{}
	for e := range r.events() {
		if e.kind != evPush || !e.hasCred || !e.cred.matches(k) {
			continue
		}
		img := e.image
		if img == "" {
			img = e.template
		}
		if img != "" && !seen[img] {
			seen[img] = true
			out = append(out, img)
		}
	}
	slices.Sort(out)
	return out
}

// stripStatus reads a condition's status functions as a run with good
// credentials and no other failure sees them: always(), success() and
// !cancelled() true, failure() and cancelled() false.
func stripStatus(n expr.Node) expr.Node {
	switch x := n.(type) {
	case expr.Keyed:
		return stripStatus(x.X)
	case expr.Call:
		switch x.Name {
		case "always", "success":
			return expr.Literal{Value: true}
		case "failure", "cancelled":
			return expr.Literal{Value: false}
		}
	case expr.Not:
		inner := stripStatus(x.X)
		if lit, ok := inner.(expr.Literal); ok {
			if b, ok := lit.Value.(bool); ok {
				return expr.Literal{Value: !b}
			}
		}
		return expr.Not{X: inner}
	case expr.Binary:
		return simplify(expr.Binary{Op: x.Op, L: stripStatus(x.L), R: stripStatus(x.R)})
	}
	return n
}
