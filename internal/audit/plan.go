package audit

import (
	"iter"
	"math/bits"
	"path"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/workflow"
)

// The run plan: for each event that starts a run, and each way the parts of
// its conditions that cannot be known before the run may fall, which jobs
// and steps run, in which order, and what fails. The rules ask it "if this
// credential were bad, what would have published?", and the fix's check
// asks it whether the fixed workflow runs what the original did.
//
// Conditions are evaluated as GitHub does (docs/facts.md, "Job
// dependencies"): a job without a status function in its if: runs only when
// every job it waits for, directly or not, succeeded; always() runs it
// regardless, failure() when one of them failed; a job with
// continue-on-error reads as a success to the jobs that need it. Steps
// likewise within their job. What the event fixes (github.event_name, the
// activity type, the kind of ref its filters allow) is decided; what it
// does not (an output of another job, a variable, an input typed by hand)
// becomes an atom, and every way the atoms can fall is tried, up to a
// bound.

// maxAtoms bounds the atoms tried both ways on one path of one event's
// decision tree: at most 2^maxAtoms scenarios.
const maxAtoms = 12

// badMode is what is wrong with one credential in a scenario.
type badMode int

const (
	allGood  badMode = iota
	expired          // expired or revoked: its logins, checks and pushes fail
	noRights         // it logs in, but cannot push: its pushes and probes fail
)

// scenario is one way a run can go.
type scenario struct {
	// trigger is the event, shared by every scenario of one explore (a
	// scenario is copied at every step of a simulation).
	trigger *workflow.Trigger
	// facts are what the trigger alone decides of the atoms asked so far
	// (eventFact), kept for every scenario of one explore.
	facts map[string]factValue
	// atoms are how the atoms asked so far fell; ask answers one,
	// deciding it when it is new (explore).
	atoms map[string]bool
	ask   func(key string) bool
	// trace, when set, records the atoms asked and how they fell: what a
	// leg's outcome rests on (legMemo).
	trace *[]tracedAtom
	// empty says that secrets other than GITHUB_TOKEN are empty: a fork's
	// pull request, a Dependabot run (docs/facts.md, "Empty secrets").
	empty bool
	bad   credKey
	mode  badMode
	// badID is bad numbered by the planner (simulate): what legKey holds,
	// hashed thousands of times, instead of bad's two strings.
	badID int32
	// eventName and eventAction are what triggerContext answers for
	// github.event_name and github.event.action, made values once per
	// explore: a string made a value at every lookup was an allocation.
	eventName, eventAction any
}

func (s scenario) with(bad credKey, mode badMode) scenario {
	s.bad, s.mode = bad, mode
	return s
}

// result is how a job ended, as needs.ID.result says it.
type result int

const (
	skipped result = iota
	succeeded
	failed
)

func (r result) String() string { return resultValues[r].(string) }

// outcome is what happened in one scenario. Its slices are indexed by the
// planner's numbering of nodes, steps and events: a scenario is simulated
// many times, and maps cost more than the simulation.
type outcome struct {
	result []result
	// decided says a node's result is known; started is set for a call
	// job whose condition held.
	decided, started []bool
	// attempted are the events of steps that ran; failedEvents those that
	// failed there.
	attempted, failedEvents []bool
	// stepRan counts, per step, the legs where it ran.
	stepRan []int
	// failed says the run failed somewhere.
	failed bool
	p      *planner
}

// ran lists the events that ran, in the run's order.
func (o *outcome) ran() iter.Seq[*event] {
	return func(yield func(*event) bool) {
		for i, e := range o.p.events {
			if o.attempted[i] && !yield(e) {
				return
			}
		}
	}
}

// planner holds a run's scenarios, and the outcomes it has worked out.
type planner struct {
	a *auditor
	r *run
	// order is the root's jobs in an order that runs needs first.
	order []*node
	// steps and events are numbered for outcomes (stepPlan.idx,
	// event.idx), as nodes are (node.idx): an index, not a map, on the
	// simulation's hottest path.
	steps  []*stepPlan
	events []*event
	// legs are the legs already simulated, to replay (legMemo).
	legs map[legKey][]legRun
	// scratch is the outcome simulate fills, again and again.
	scratch *outcome
	// credIDs number the bad credentials of scenarios, for legKey.
	credIDs map[credKey]int32
	// callees are each call job's callees in the order they run, by
	// node.idx, worked out on first use.
	callees [][]*node
	// sweeps are whileBad's answers, kept.
	sweeps map[badSweep]*badRuns
	// afterFailure is runsAfterFailure's answer by node.idx, once asked:
	// the fix's guards ask it of each pair of top jobs.
	afterFailure map[int]bool
}

type factValue struct{ value, known bool }

// planner is the run's planner, made once.
func (a *auditor) planner(r *run) *planner {
	if r.plan != nil {
		return r.plan
	}
	p := &planner{a: a, r: r, order: topological(r.top)}
	for i, n := range r.nodes {
		n.idx = i
		byStep := map[*workflow.Step][]*event{}
		for _, e := range n.events {
			byStep[e.step] = append(byStep[e.step], e)
			e.idx = len(p.events)
			p.events = append(p.events, e)
		}
		for _, sp := range n.steps {
			sp.idx, sp.events = len(p.steps), byStep[sp.step]
			p.steps = append(p.steps, sp)
		}
	}
	r.plan = p
	return p
}

// newOutcome is an outcome where nothing has happened yet.
func (p *planner) newOutcome() *outcome {
	n, e := len(p.r.nodes), len(p.events)
	// Three allocations, not six: a simulation is made thousands of times.
	flags := make([]bool, 2*n+2*e)
	return &outcome{p: p, result: make([]result, n), decided: flags[:n:n], started: flags[n : 2*n : 2*n],
		attempted: flags[2*n : 2*n+e : 2*n+e], failedEvents: flags[2*n+e:], stepRan: make([]int, len(p.steps))}
}

func (o *outcome) resultOf(n *node) result { return o.result[n.idx] }

func (o *outcome) set(n *node, r result) {
	o.result[n.idx], o.decided[n.idx] = r, true
}

func (o *outcome) ranSteps(sp *stepPlan) int { return o.stepRan[sp.idx] }

// explore calls f once for every way the atoms its simulations ask about
// can fall, for one event: a decision tree walked depth first, each atom
// tried false, then true, and only the atoms a simulation reaches are
// tried at all (a condition decided by its other side asks nothing). Past
// maxAtoms on one path, an atom reads as true: the part runs, which can
// only make the audit see more.
func explore(t *workflow.Trigger, empty bool, f func(sc scenario)) {
	facts := map[string]factValue{}
	assign := map[string]bool{}
	var path []string
	name, action := eventValues(t)
	ask := func(key string) bool {
		if v, ok := assign[key]; ok {
			return v
		}
		if len(path) >= maxAtoms {
			return true
		}
		assign[key] = false
		path = append(path, key)
		return false
	}
	for {
		f(scenario{trigger: t, facts: facts, empty: empty, atoms: assign, ask: ask, eventName: name, eventAction: action})
		// Backtrack: the deepest atom still false becomes true, and what
		// was asked after it is asked anew.
		for len(path) > 0 && assign[path[len(path)-1]] {
			delete(assign, path[len(path)-1])
			path = path[:len(path)-1]
		}
		if len(path) == 0 {
			return
		}
		assign[path[len(path)-1]] = true
	}
}

// each calls f for every scenario of every event of the run: with
// secrets, and with empty secrets where the event may have them empty.
func (p *planner) each(withEmpty bool, f func(sc scenario)) {
	for i := range p.r.triggers {
		t := &p.r.triggers[i] // one pointer per event: legMemo keys by it
		explore(t, false, f)
		if withEmpty && emptySecrets(*t) {
			explore(t, true, f)
		}
	}
}

// whileBad calls f with the events that ran, in each scenario where
// credential k is bad (mode) and some login, push or check of it ran: what
// a bad credential lets happen before it fails. The rules, and each plan
// the fix writes and writes again (keepInvariant), ask it of one credential
// again and again, so the first answer is kept: the events that ran in each
// such scenario, a bit each. A hostile file's thousands of scenarios, for
// each of dozens of credentials, would hold gigabytes as lists of events.
func (p *planner) whileBad(k credKey, mode badMode, f func(ran iter.Seq[*event])) {
	key := badSweep{k, mode}
	runs, ok := p.sweeps[key]
	if !ok {
		runs = &badRuns{stride: (len(p.events) + 63) / 64}
		p.each(false, func(sc scenario) {
			o := p.simulate(sc.with(k, mode))
			if !o.triedCred(k) {
				return
			}
			at := len(runs.bits)
			runs.bits = append(runs.bits, make([]uint64, runs.stride)...)
			for i, ran := range o.attempted {
				if ran {
					runs.bits[at+i/64] |= 1 << (i % 64)
				}
			}
			runs.n++
		})
		if p.sweeps == nil {
			p.sweeps = map[badSweep]*badRuns{}
		}
		p.sweeps[key] = runs
	}
	for s := range runs.n {
		f(func(yield func(*event) bool) {
			for w, word := range runs.bits[s*runs.stride : (s+1)*runs.stride] {
				for ; word != 0; word &= word - 1 {
					if !yield(p.events[w*64+bits.TrailingZeros64(word)]) {
						return
					}
				}
			}
		})
	}
}

// badRuns are whileBad's kept answer: for each of n scenarios, a bit for
// each of the planner's events, set where it ran, stride words a scenario.
type badRuns struct {
	n, stride int
	bits      []uint64
}

// badSweep is a question whileBad answers: every scenario where one
// credential is bad in one way.
type badSweep struct {
	k    credKey
	mode badMode
}

// emptySecrets reports an event whose run may see no secrets: a pull
// request from a fork or Dependabot, or a push of one of Dependabot's
// branches (docs/facts.md, "Empty secrets").
func emptySecrets(t workflow.Trigger) bool {
	switch t.Event {
	case "pull_request", "pull_request_review", "pull_request_review_comment", "create", "deployment", "deployment_status":
		return true
	case "push":
		return !t.HasTags || t.HasBranches
	}
	return false
}

// eventValues are an event's name, and its activity type when on: allows
// one (else nil), as triggerContext answers them.
func eventValues(t *workflow.Trigger) (name, action any) {
	if len(t.Types) == 1 {
		action = t.Types[0]
	}
	return t.Event, action
}

// triggerContext answers what the event itself fixes: its name, and its
// activity type when on: allows one; name and action are eventValues'.
func triggerContext(t *workflow.Trigger, name, action any, path []string) (any, bool) {
	if len(path) < 2 || !strings.EqualFold(path[0], "github") {
		return nil, false
	}
	switch rest := path[1:]; {
	case joinedIs(rest, "event_name"):
		return name, true
	case joinedIs(rest, "event.action"):
		if action != nil {
			return action, true
		}
	case joinedIs(rest, "ref_type"):
		switch refKind(t) {
		case "tags":
			return "tag", true
		case "heads":
			return "branch", true
		}
	}
	return nil, false
}

// joinedIs reports whether parts joined by dots are name, ASCII letters
// in any case: strings.ToLower(strings.Join(parts, ".")) == name for a
// lower-case name without k (the Kelvin sign lowers to it), without the
// two allocations, on the simulation's path.
func joinedIs(parts []string, name string) bool {
	for i, part := range parts {
		if i > 0 {
			if name == "" || name[0] != '.' {
				return false
			}
			name = name[1:]
		}
		if len(part) > len(name) {
			return false
		}
		for j := 0; j < len(part); j++ {
			c := part[j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != name[j] {
				return false
			}
		}
		name = name[len(part):]
	}
	return name == ""
}

// refKind says what github.ref is for an event: "tags" when its filters
// allow tags only, "heads" when branches only, "pull" for a pull request,
// else "".
func refKind(t *workflow.Trigger) string {
	switch t.Event {
	case "push":
		switch {
		case t.HasTags && !t.HasBranches:
			return "tags"
		case t.HasBranches && !t.HasTags:
			return "heads"
		}
	case "pull_request", "pull_request_target":
		return "pull"
	}
	return ""
}

// eventFact decides the atoms about github.ref that an event's filters
// settle: startsWith(github.ref, 'refs/tags/') under tags-only filters,
// github.ref == 'refs/heads/main' where main is the only branch allowed.
func eventFact(t *workflow.Trigger, key string) (bool, bool) {
	kind := refKind(t)
	if kind == "" {
		return false, false
	}
	if prefix, ok := strings.CutPrefix(key, "startswith(github.ref, 'refs/"); ok {
		switch prefix {
		case "tags/')", "heads/')", "pull/')":
			return kind == strings.TrimSuffix(prefix, "/')"), true
		}
	}
	if lit, ok := strings.CutPrefix(key, "github.ref == 'refs/"); ok {
		return refFact(t, kind, lit)
	}
	if lit, ok := strings.CutPrefix(key, "github.ref != 'refs/"); ok {
		v, known := refFact(t, kind, lit)
		return !v, known
	}
	return false, false
}

// refFact decides github.ref == 'refs/LIT' for an event whose ref is of
// kind.
func refFact(t *workflow.Trigger, kind, lit string) (bool, bool) {
	lit = strings.TrimSuffix(lit, "'")
	refPrefix, name, _ := strings.Cut(lit, "/")
	if refPrefix != kind {
		return false, true
	}
	patterns := t.Branches
	if kind == "tags" {
		patterns = t.Tags
	}
	if len(patterns) == 1 && !strings.ContainsAny(patterns[0], "*?[!+") {
		return strings.EqualFold(patterns[0], name), true
	}
	for _, p := range patterns {
		if m, _ := path.Match(p, name); m {
			return false, false // allowed, and others too
		}
	}
	return false, len(patterns) > 0
}

// simulate runs the plan in one scenario. The outcome is the planner's
// own, good until its next simulate: every caller reads it and lets it go
// (an audit simulates thousands of times, and a fresh outcome each time
// was most of what it allocated).
func (p *planner) simulate(sc scenario) *outcome {
	if sc.bad != (credKey{}) {
		id, ok := p.credIDs[sc.bad]
		if !ok {
			if p.credIDs == nil {
				p.credIDs = map[credKey]int32{}
			}
			id = int32(len(p.credIDs) + 1)
			p.credIDs[sc.bad] = id
		}
		sc.badID = id
	}
	o := p.scratch
	if o == nil {
		o = p.newOutcome()
		p.scratch = o
	} else {
		clear(o.result)
		clear(o.decided)
		clear(o.started)
		clear(o.attempted)
		clear(o.failedEvents)
		clear(o.stepRan)
		o.failed = false
	}
	for _, n := range p.order {
		p.job(sc, o, n)
	}
	return o
}

// job decides one job, and for a call job, the jobs it calls.
func (p *planner) job(sc scenario, o *outcome, n *node) {
	if o.decided[n.idx] {
		return
	}
	allGood, anyFailed := true, false
	for _, m := range n.ancestors() {
		switch o.seen(m) {
		case failed:
			anyFailed, allGood = true, false
		case skipped:
			allGood = false
		}
	}
	runs := n.caller == nil || o.started[n.caller.idx]
	if runs {
		runs = p.holds(sc, o, n, nil, n.cond, leg{}, allGood, anyFailed, nil)
	}
	if !runs {
		o.set(n, skipped)
		return
	}
	if n.job.Uses != nil {
		o.started[n.idx] = true
		res := succeeded
		if p.callees == nil {
			p.callees = make([][]*node, len(p.r.nodes))
		}
		if p.callees[n.idx] == nil {
			p.callees[n.idx] = topological(n.callees)
		}
		for _, m := range p.callees[n.idx] {
			p.job(sc, o, m)
			if o.resultOf(m) == failed {
				res = failed
			}
		}
		o.set(n, res)
		return
	}
	res := succeeded
	for i, l := range n.legs {
		if !p.memoLeg(sc, o, n, i, l) {
			res = failed
		}
	}
	o.set(n, res)
	if res == failed {
		o.failed = true
	}
}

// seen is a job's result as the jobs that need it read it: a job that may
// fail (continue-on-error) reads as a success.
func (o *outcome) seen(m *node) result {
	r := o.resultOf(m)
	if r == failed && m.job.ContinueOnError != nil && truthyLiteral(m.job.ContinueOnError.Text) {
		return succeeded
	}
	return r
}

func truthyLiteral(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

// tracedAtom is an atom a simulation asked, and how it fell.
type tracedAtom struct {
	key   string
	value bool
}

// legKey is all a leg's simulation reads besides the atoms it asks: the
// leg, the event, the scenario's secrets and bad credential, and how the
// jobs it needs ended (needs.X.result), two bits a job, or as text past 32
// jobs. Numbers, not strings: it is hashed for every leg of every scenario.
type legKey struct {
	node, leg int
	trigger   *workflow.Trigger
	empty     bool
	bad       int32
	mode      badMode
	needs     uint64
	manyNeeds string
}

// legRun is one simulated leg: the atoms it asked, in order, and what it
// did.
type legRun struct {
	atoms         []tracedAtom
	ok            bool
	steps, events []int
	failedEvents  []int
}

// memoLeg is leg, replayed where the same leg already ran with the same
// key and every atom it asked has fallen the same way in this scenario:
// then it would ask nothing new, and do the same. explore walks a tree of
// atoms, most of which one leg never reads, so most legs are replays.
func (p *planner) memoLeg(sc scenario, o *outcome, n *node, i int, l leg) bool {
	key := legKey{node: n.idx, leg: i, trigger: sc.trigger, empty: sc.empty, bad: sc.badID, mode: sc.mode}
	if len(n.needs) <= 32 {
		for j, m := range n.needs {
			key.needs |= uint64(o.seen(m)) << (2 * j)
		}
	} else {
		var needs strings.Builder
		for _, m := range n.needs {
			needs.WriteByte(byte('0' + o.seen(m)))
		}
		key.manyNeeds = needs.String()
	}
	for _, run := range p.legs[key] {
		if replays(sc, run.atoms) {
			for _, j := range run.steps {
				o.stepRan[j]++
			}
			for _, j := range run.events {
				o.attempted[j] = true
			}
			for _, j := range run.failedEvents {
				o.failedEvents[j] = true
			}
			return run.ok
		}
	}
	// Run it, and keep what it did.
	run := legRun{}
	sc.trace = &run.atoms
	run.ok = p.leg(sc, o, n, l, &run)
	if p.legs == nil {
		p.legs = map[legKey][]legRun{}
	}
	p.legs[key] = append(p.legs[key], run)
	return run.ok
}

// replays reports whether every atom a run asked has fallen the same way
// in sc.
func replays(sc scenario, atoms []tracedAtom) bool {
	for _, a := range atoms {
		if v, ok := sc.atoms[a.key]; !ok || v != a.value {
			return false
		}
	}
	return true
}

// leg runs one combination's steps; false when the job fails there.
func (p *planner) leg(sc scenario, o *outcome, n *node, l leg, rec *legRun) bool {
	rec.steps = make([]int, 0, len(n.steps)) // one allocation, not one per doubling
	ok := true
	// pending is a background step's failure, which the job sees only at
	// the next step that waits, or at its end.
	pending := false
	outcomes := map[string]result{} // by step id
	for _, sp := range n.steps {
		if sp.step.Wait && pending {
			ok, pending = false, false
		}
		stepSc := sc
		if len(sp.events) == 0 {
			// A step that does nothing the rules see runs alike in every
			// plan of its job: its unknown parts are not worth trying
			// both ways, and read as true.
			stepSc.ask = nil
		}
		if !p.holds(stepSc, o, n, sp.step, sp.cond, l, ok, !ok, outcomes) {
			if sp.step.ID != "" {
				outcomes[sp.step.ID] = skipped
			}
			continue
		}
		o.stepRan[sp.idx]++
		rec.steps = append(rec.steps, sp.idx)
		stepFails := false
		for _, e := range sp.events {
			if e.when != nil && !p.holds(sc, o, n, sp.step, e.when, l, true, false, outcomes) {
				continue
			}
			o.attempted[e.idx] = true
			rec.events = append(rec.events, e.idx)
			if fails(sc, e) {
				o.failedEvents[e.idx] = true
				rec.failedEvents = append(rec.failedEvents, e.idx)
				stepFails = true
			}
		}
		if sp.step.ID != "" {
			outcomes[sp.step.ID] = succeeded
			if stepFails {
				outcomes[sp.step.ID] = failed
			}
		}
		if stepFails && !sp.step.ContinueOnError {
			if sp.step.Background {
				pending = true
			} else {
				ok = false
			}
		}
	}
	return ok && !pending
}

// fails reports whether an event fails in a scenario.
func fails(sc scenario, e *event) bool {
	switch {
	case e.kind == evCheck && e.tokenless && !e.passesEmpty:
		// A check step given no token fails as an empty one, on every
		// run, unless on-missing lets it pass (an audit-only step).
		return true
	case sc.mode == expired && e.hasCred && e.cred.matches(sc.bad) && (e.kind == evLogin || e.kind == evCheck || e.kind == evPush):
		return true
	case sc.mode == noRights && e.hasCred && e.cred.matches(sc.bad) && (e.kind == evPush || e.kind == evCheck && len(e.packages) > 0):
		return true
	case sc.empty && e.hasCred && e.cred.secret != "GITHUB_TOKEN":
		switch e.kind {
		case evLogin, evPush:
			return true
		case evCheck:
			return !e.passesEmpty
		}
	case sc.empty && e.kind == evPublish && e.secret != "" && e.secret != "GITHUB_TOKEN":
		return true
	}
	return false
}

// holds decides a job's or a step's if: in a scenario. good and bad say
// how what ran before went: every job it waits for succeeded, or one
// failed (for a step, the steps before it).
func (p *planner) holds(sc scenario, o *outcome, n *node, s *workflow.Step, c *condition, l leg, good, bad bool, steps map[string]result) bool {
	if c == nil {
		return good
	}
	if !c.status && !good {
		return false
	}
	if c.node == nil {
		return true // unreadable: GitHub refuses the file, or runs it; assume it runs
	}
	if s == nil {
		// A job's if: cannot read matrix; any leg will do.
		l = leg{}
		if len(n.legs) > 0 {
			l = n.legs[0]
		}
	}
	look := p.runLookup(sc, o, n, s, l, good, steps)
	v, known := expr.Truth(c.node, look, expr.Status{Success: good, Failure: bad}, func(key string) (bool, bool) {
		f, ok := sc.facts[key]
		if !ok {
			f.value, f.known = eventFact(sc.trigger, key)
			if sc.facts != nil {
				sc.facts[key] = f
			}
		}
		if f.known {
			return f.value, true
		}
		if sc.ask == nil {
			return false, false
		}
		v := sc.ask(key)
		if sc.trace != nil {
			*sc.trace = append(*sc.trace, tracedAtom{key, v})
		}
		return v, true
	})
	return v || !known
}

// runLookup answers a condition's paths in a scenario: the event's facts,
// then what has happened (needs.X.result, steps.X.outcome, job.status),
// then what the job knows before the run.
func (p *planner) runLookup(sc scenario, o *outcome, n *node, s *workflow.Step, l leg, good bool, steps map[string]result) expr.Lookup {
	return func(path []string) (any, bool) {
		if v, ok := triggerContext(sc.trigger, sc.eventName, sc.eventAction, path); ok {
			return v, true
		}
		switch strings.ToLower(path[0]) {
		case "needs":
			if len(path) == 3 && strings.EqualFold(path[2], "result") {
				for _, m := range n.needs {
					if strings.EqualFold(m.job.ID, path[1]) {
						return resultValues[o.seen(m)], true
					}
				}
				return nil, true
			}
		case "steps":
			if len(path) == 3 && (strings.EqualFold(path[2], "outcome") || strings.EqualFold(path[2], "conclusion")) {
				if r, ok := steps[path[1]]; ok {
					return resultValues[r], true
				}
				return nil, true
			}
		case "job":
			if len(path) == 2 && strings.EqualFold(path[1], "status") {
				if good {
					return "success", true
				}
				return "failure", true
			}
		}
		return p.a.contextValue(n, s, l, path)
	}
}

// resultValues are the results as a condition reads them, made values
// once (a string made a value at every lookup was an allocation).
var resultValues = [...]any{skipped: "skipped", succeeded: "success", failed: "failure"}
