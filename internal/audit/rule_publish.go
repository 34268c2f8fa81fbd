package audit

import (
	"fmt"
	"iter"
	"slices"
	"strings"
)

// publish-before-check: something that cannot be taken back (a PyPI file,
// an npm version, a GitHub release) can publish before a credential's
// first use. A credential's first use is its earliest login, push or
// token-gate check: an expired or revoked token fails there, so if nothing
// publishes before that, nothing is left half released. The plan decides
// it: in every scenario where the credential is bad, did something publish
// while the credential was tried? GITHUB_TOKEN is left out: it lives for
// the job, and cannot expire or be revoked in between.
func (a *auditor) publishBeforeCheck(r *run) {
	p := a.planner(r)
	hazards := map[*event]map[credKey]bool{}
	for _, k := range runCreds(r) {
		if k.secret == "GITHUB_TOKEN" {
			continue
		}
		// A scenario where it is not used leaves nothing half done.
		p.whileBad(k, expired, func(ran iter.Seq[*event]) {
			for e := range ran {
				if e.kind == evPublish {
					if hazards[e] == nil {
						hazards[e] = map[credKey]bool{}
					}
					hazards[e][k] = true
				}
			}
		})
	}
	if len(hazards) == 0 {
		return
	}
	publishes := make([]*event, 0, len(hazards))
	for e := range hazards {
		publishes = append(publishes, e)
	}
	// Two publishes of one step share a place: the run's order settles
	// them, never the map's.
	slices.SortFunc(publishes, func(x, y *event) int {
		if c := byPlace(x, y); c != 0 {
			return c
		}
		return x.idx - y.idx
	})
	var jobs, creds []string
	var keys []credKey
	pypi := false
	targets := map[string][]string{}
	var order []string
	for _, e := range publishes {
		pypi = pypi || e.publishKind == "pypi"
		if _, seen := targets[e.node.id]; !seen {
			order = append(order, e.node.id)
		}
		if !slices.Contains(targets[e.node.id], e.target) {
			targets[e.node.id] = append(targets[e.node.id], e.target)
		}
		for k := range hazards[e] {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for _, id := range order {
		jobs = append(jobs, id+" ("+wordsList(targets[id])+")")
	}
	slices.SortFunc(keys, func(x, y credKey) int { return strings.Compare(x.secret+x.registry, y.secret+y.registry) })
	for _, k := range keys {
		creds = append(creds, k.secret)
	}
	creds = dedupe(creds)
	consequence := "the release is left in part"
	if pypi {
		consequence += ", and PyPI never takes the same file twice"
	}
	var tops []string
	for _, e := range publishes {
		if !slices.Contains(tops, e.node.top.id) {
			tops = append(tops, e.node.top.id)
		}
	}
	first := publishes[0]
	a.add(Finding{Code: CodePublishBeforeCheck, Severity: Error, Place: first.place, Secret: strings.Join(creds, ","), Jobs: tops,
		Message: fmt.Sprintf("%s can publish before %s %s first used: if %s expired or been revoked, %s fails only after that, and %s.",
			wordsList(jobs), wordsList(creds), agree(len(creds), "is", "are"), agree(len(creds), "it has", "they have"), agree(len(creds), "its first use", "their first use"), consequence),
		Fix: "Check " + agree(len(creds), "it", "them") + " with token-gate before anything publishes: a preflight job that the publishing jobs need."})
}

// runCreds lists the credentials a run logs in with, pushes with or
// checks, in the order they appear.
func runCreds(r *run) []credKey {
	var out []credKey
	for e := range r.events() {
		if e.hasCred && (e.kind == evLogin || e.kind == evPush || e.kind == evCheck) && !slices.Contains(out, e.cred) {
			out = append(out, e.cred)
		}
	}
	return out
}

// triedCred reports whether some login, push or check of k ran.
func (o *outcome) triedCred(k credKey) bool {
	for e := range o.ran() {
		if e.hasCred && e.cred.matches(k) && (e.kind == evLogin || e.kind == evPush || e.kind == evCheck) {
			return true
		}
	}
	return false
}

func byPlace(x, y *event) int {
	if x.place.File != y.place.File {
		return strings.Compare(x.place.File, y.place.File)
	}
	if x.place.Line != y.place.Line {
		return x.place.Line - y.place.Line
	}
	if x.place.Column != y.place.Column {
		return x.place.Column - y.place.Column
	}
	return strings.Compare(x.place.Job, y.place.Job)
}
