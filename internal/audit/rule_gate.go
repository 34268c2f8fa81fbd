package audit

import "fmt"

// cannot-gate: a job that pushes or publishes runs whatever the jobs before
// it did (its if: calls always(), failure() or cancelled()), so no check
// before it can hold it back. Said once per job; the fix leaves it alone.
func (a *auditor) cannotGate(r *run) {
	p := a.planner(r)
	for _, n := range r.top {
		if n.cond == nil || !n.cond.status || !touches(n) || !p.runsAfterFailure(n) {
			continue
		}
		a.add(Finding{Code: CodeCannotGate, Severity: Notice, Place: a.place(n.file, n.job.If.Pos, n, nil),
			Message: fmt.Sprintf("Job %s pushes or publishes, and its if: (%s) runs it whatever the jobs before it did: a failed check before it cannot hold it back.", n.id, clipText(n.cond.value.Text)),
			Fix:     "Put a token-gate step at the start of this job, or let its if: wait for the check (drop always(), or add needs.preflight.result == 'success')."})
	}
}

// touches reports a root job that publishes or pushes, itself or through
// the workflow it calls.
func touches(n *node) bool {
	for _, e := range n.events {
		if e.kind == evPublish || e.kind == evPush {
			return true
		}
	}
	for _, c := range n.callees {
		if touches(c) {
			return true
		}
	}
	return false
}

// runsAfterFailure reports whether a job's if: can hold when every job it
// waits for failed: for some event and some way its other parts fall.
func (p *planner) runsAfterFailure(n *node) bool {
	if runs, ok := p.afterFailure[n.idx]; ok {
		return runs
	}
	o := p.newOutcome()
	for _, m := range n.ancestors() {
		o.set(m, failed)
	}
	runs := false
	p.each(false, func(sc scenario) {
		runs = runs || p.holds(sc, o, n, nil, n.cond, leg{}, false, true, nil)
	})
	if p.afterFailure == nil {
		p.afterFailure = map[int]bool{}
	}
	p.afterFailure[n.idx] = runs
	return runs
}
