package audit

import (
	"fmt"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/workflow"
)

// maxLegs bounds one job's combinations: GitHub runs at most 256 jobs of a
// matrix per workflow run (docs/facts.md, "Workflows"), and a called
// workflow's matrix multiplies its caller's. Past it, the rest are left out
// and the run's notice says so.
const maxLegs = 256

// expandMatrix lists a job's matrix combinations for each outer leg, as
// GitHub does (GitHub docs, "Running variations of jobs in a workflow"):
// the product of the rows, less what exclude names, then each include
// added to every combination it does not overwrite, or as a combination of
// its own. An expression matrix cannot be known here.
func (a *auditor) expandMatrix(r *run, j *workflow.Job, outer []leg) ([]leg, string) {
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
	total := 1
	for _, row := range m.Rows {
		total *= max(len(row.Values), 1)
		if total > maxLegs*len(outer) || total > maxLegs {
			// More than GitHub runs: read as a matrix known only at
			// run time, rather than as some of its combinations.
			r.skipped = append(r.skipped, fmt.Sprintf("the matrix of job %s (more than %d combinations, which GitHub refuses too)", j.ID, maxLegs))
			return outer, fmt.Sprintf("a matrix of more than %d combinations", maxLegs)
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
		if !added && len(kept) < maxLegs {
			kept = append(kept, clone(inc))
		}
	}
	if len(kept) == 0 {
		kept = []map[string]any{{}}
	}
	var out []leg
	for _, o := range outer {
		for _, c := range kept {
			if len(out) == maxLegs {
				r.skipped = append(r.skipped, fmt.Sprintf("combinations of job %s past %d", j.ID, maxLegs))
				return out, ""
			}
			out = append(out, leg{matrix: c, inputs: o.inputs})
		}
	}
	return out, ""
}

// dedupeLegs drops legs that bind the same values: a called workflow sees
// only its inputs, so a caller's matrix often passes it the same ones.
func dedupeLegs(legs []leg) []leg {
	seen := map[string]bool{}
	var out []leg
	for _, l := range legs {
		key := expr.String(l.inputs) + "\x00" + expr.String(l.matrix)
		if !seen[key] {
			seen[key] = true
			out = append(out, l)
		}
	}
	return out
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
