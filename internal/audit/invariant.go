package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/token-gate/token-gate/internal/workflow"
)

// The fix's promise, checked before it is offered: for every event and
// every way its conditions can fall, with good credentials, the fixed
// workflow runs the same jobs and steps as the original (token-gate's own
// steps aside) and none of them fails; its new needs order only what the
// original let run in that order; and with empty secrets it fails only
// where the original failed.

// keepInvariant settles a plan: it checks the whole; if that breaks the
// promise, each check alone, keeping those that hold; then whether the
// preflight's audit may fail on this workflow's errors.
func (a *auditor) keepInvariant(r *run, p *filePlan, checks []*check) {
	mode := "fail"
	a.writePlan(r, p, checks, mode)
	why, errs := a.invariant(r, p)
	if why != "" && len(checks) > 1 {
		var kept []*check
		for _, c := range checks {
			a.writePlan(r, p, []*check{c}, mode)
			if w, _ := a.invariant(r, p); w == "" {
				kept = append(kept, c)
			} else {
				p.problems = append(p.problems, fmt.Sprintf("%s is not checked: %s", c.key.secret, w))
			}
		}
		checks = kept
		a.writePlan(r, p, checks, mode)
		why, errs = a.invariant(r, p)
	}
	if why != "" {
		if len(checks) == 1 {
			p.problems = append(p.problems, fmt.Sprintf("%s is not checked: %s", checks[0].key.secret, why))
		} else if len(checks) > 1 {
			p.problems = append(p.problems, "no check is written: "+why)
		}
		p.edits, p.jobs, p.steps, p.waits, p.caveats = nil, nil, nil, nil, nil
		return
	}
	if errs {
		// An error the fix does not answer would fail every run of the
		// preflight: its audit only warns then. Only the audit input's
		// value changes, which changes nothing that runs, so the plan
		// just checked holds.
		a.writePlan(r, p, checks, "warn")
	}
}

// invariant applies a plan and compares what runs: "" when the promise
// holds, else why not; errs says the fixed file still has errors.
func (a *auditor) invariant(r *run, p *filePlan) (why string, errs bool) {
	if len(p.edits) == 0 {
		return "", false
	}
	src := p.applied()
	fixed := workflow.Parse(r.root.Path, src)
	if fixed.Err != nil {
		return "the fixed file would not parse (" + fixed.Err.Error() + ")", false
	}
	repo := *a.repo
	repo.Files = slices.Clone(a.repo.Files)
	for i, f := range repo.Files {
		if f.Path == fixed.Path {
			repo.Files[i] = fixed
		}
	}
	// The fixed workflow runs in forks too: the comparison knows no
	// repository, so github.repository stays an atom, tried both ways.
	opts := a.opts
	opts.Repository = ""
	orig := a.planner(r)
	if a.opts.Repository != "" {
		// The run audited read github.repository; the one compared must
		// not.
		before := a.child(a.repo, opts)
		orig = before.planner(before.buildRun(r.root))
	}
	sub := a.child(&repo, opts)
	r2 := sub.buildRun(fixed)
	if why := samePlan(orig, sub.planner(r2)); why != "" {
		return why, false
	}
	// Whether the fixed workflow still has errors: publish-before-check is
	// the one rule that finds errors (the others warn or note), and the
	// file parsed.
	sub.opts = a.opts
	sub.publishBeforeCheck(r2)
	reached := Reached(&repo, fixed.Path)
	for _, f := range sub.findings {
		if f.Severity == Error && reached[f.File] {
			errs = true
		}
	}
	return "", errs
}

// samePlan compares an original run's plan and a fixed one's.
func samePlan(orig, fixed *planner) string {
	byID := map[string]*node{}
	for _, n := range fixed.r.nodes {
		byID[n.id] = n
	}
	for _, n := range orig.r.nodes {
		m := byID[n.id]
		if m == nil {
			return "job " + n.id + " would be gone"
		}
		// Order: the fixed job still waits for all it waited for, and
		// never for itself (a cycle GitHub refuses). A wait between jobs
		// the original ran side by side is an order it allowed; whether it
		// changes what runs, the scenarios below tell.
		for _, anc := range n.ancestors() {
			if f := byID[anc.id]; f == nil || !m.hasAncestor(f) {
				return fmt.Sprintf("job %s would no longer wait for job %s", n.id, anc.id)
			}
		}
		if m.hasAncestor(m) {
			return "job " + n.id + " would wait for itself"
		}
	}
	why := ""
	pairs := pairSteps(orig.r, byID)
	orig.each(true, func(sc scenario) {
		if why != "" {
			return
		}
		o1, o2 := orig.simulate(sc), fixed.simulate(sc)
		switch {
		case sc.empty && o2.failed && !o1.failed:
			why = fmt.Sprintf("on %s from a fork or Dependabot%s, where secrets are empty, the fixed workflow would fail where the original does not", sc.trigger.Event, atomWords(sc.atoms))
		case !sc.empty:
			if w := sameRuns(orig.r, o1, byID, o2, pairs); w != "" {
				why = fmt.Sprintf("on %s%s, %s", sc.trigger.Event, atomWords(sc.atoms), w)
			}
		}
	})
	return why
}

// stepPairs are each original job's steps and its fixed twin's, token-gate's
// own left out: what sameRuns compares, found once per plan.
type stepPairs map[*node][2][]*stepPlan

func pairSteps(orig *run, byID map[string]*node) stepPairs {
	out := stepPairs{}
	for _, n := range orig.nodes {
		out[n] = [2][]*stepPlan{ownSteps(n), ownSteps(byID[n.id])}
	}
	return out
}

// sameRuns compares two outcomes job by job and step by step.
func sameRuns(orig *run, o1 *outcome, byID map[string]*node, o2 *outcome, pairs stepPairs) string {
	for _, n := range orig.nodes {
		m := byID[n.id]
		r1, r2 := o1.resultOf(n), o2.resultOf(m)
		if (r1 == skipped) != (r2 == skipped) {
			if r1 == skipped {
				return "job " + n.id + " would run where it did not"
			}
			return "job " + n.id + " would no longer run"
		}
		s1, s2 := pairs[n][0], pairs[n][1]
		if len(s1) != len(s2) {
			return "job " + n.id + " would run other steps"
		}
		for i := range s1 {
			if o1.ranSteps(s1[i]) != o2.ranSteps(s2[i]) {
				return fmt.Sprintf("step %q of job %s would run otherwise", stepLabel(s1[i].step), n.id)
			}
		}
	}
	if o2.failed && !o1.failed {
		for i, r := range o2.result {
			if r == failed {
				return "job " + o2.p.r.nodes[i].id + " would fail with good credentials"
			}
		}
	}
	return ""
}

// ownSteps are a job's steps other than token-gate's.
func ownSteps(n *node) []*stepPlan {
	var out []*stepPlan
	for _, sp := range n.steps {
		if sp.step.Uses != nil && isTokenGate(sp.step.Uses.Text, nil) {
			continue
		}
		out = append(out, sp)
	}
	return out
}

// atomWords says how a scenario's atoms fell, for a reason.
func atomWords(assign map[string]bool) string {
	if len(assign) == 0 {
		return ""
	}
	var parts []string
	for k, v := range assign {
		parts = append(parts, fmt.Sprintf("%s %v", k, v))
	}
	slices.Sort(parts)
	return " (" + strings.Join(parts, ", ") + ")"
}

// Fix returns, for each file the audit would change, its new contents,
// each parsed again before it is offered: a fix that would not parse is
// never written.
func (r Result) Fix() map[string][]byte {
	out := map[string][]byte{}
	for _, p := range r.fixes {
		if len(p.edits) == 0 {
			continue
		}
		src := p.applied()
		if workflow.Parse(p.file.Path, src).Err != nil {
			continue
		}
		out[p.file.Path] = src
	}
	return out
}
