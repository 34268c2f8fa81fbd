package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/token-gate/token-gate/internal/image"
)

// The rules, one function each, over the runs' events.

// unchecked: a credential logged in with, in a job where no token-gate step
// checking it runs first, in that job or in a job it needs.
func (a *auditor) unchecked(r *run) {
	checks := r.events(evCheck)
	for _, login := range r.events(evLogin) {
		proven := false
		for _, c := range checks {
			if c.hasCred && c.cred.matches(login.cred) && gates(c, login) {
				proven = true
				break
			}
		}
		if proven {
			continue
		}
		a.add(Finding{Code: CodeUnchecked, Severity: Error, Place: login.place, Secret: login.cred.secret,
			Message: fmt.Sprintf("%s logs in to %s in job %s, and no token-gate step checks it before: if it has expired, been revoked or lost its rights, this job fails only here, after everything before it ran.",
				login.cred.secret, image.DisplayHost(login.cred.registry), login.node.id),
			Fix: a.fixWords(r)})
	}
}

// publishBeforeCheck: a step that publishes something (another registry's
// images, PyPI, a GitHub release, …) and can run before a push whose
// credential nothing has proven by then. If that credential fails, the
// first publish has already happened: a half release.
func (a *auditor) publishBeforeCheck(r *run) {
	uses := map[credKey][]*event{}
	var order []credKey
	for _, e := range append(r.events(evLogin), r.events(evPush)...) {
		if !e.hasCred {
			continue
		}
		if _, seen := uses[e.cred]; !seen {
			order = append(order, e.cred)
		}
		uses[e.cred] = append(uses[e.cred], e)
	}
	proofs := append(r.events(evCheck), r.events(evPush)...)
	var publishers []*event
	unproven := map[credKey]bool{}
	for _, s := range append(r.events(evPublish), r.events(evPush)...) {
		hit := false
		for _, c := range order {
			if s.kind == evPush && s.hasCred && s.cred == c {
				continue // pushes with the one credential fail together
			}
			if !provenBefore(c, s, proofs) {
				hit, unproven[c] = true, true
			}
		}
		if hit {
			publishers = append(publishers, s)
		}
	}
	if len(publishers) == 0 {
		return
	}
	// What publishes something other than images reads first: that is
	// what cannot be taken back (a PyPI file, a release); then the pushes.
	sort.SliceStable(publishers, func(i, j int) bool {
		pi, pj := publishers[i].kind == evPush, publishers[j].kind == evPush
		if pi != pj {
			return !pi
		}
		return publishers[i].place.Line < publishers[j].place.Line
	})
	var jobs []string
	pypi := false
	for _, p := range publishers {
		pypi = pypi || p.target == "PyPI"
		what := p.target
		if p.kind == evPush {
			what = "images"
			switch {
			case p.image != "":
				what = image.DisplayHost(registryOf(p.image)) + " images"
			case p.hasCred:
				what = image.DisplayHost(p.cred.registry) + " images"
			}
		}
		j := p.node.id + " (" + what + ")"
		if !slices.Contains(jobs, j) {
			jobs = append(jobs, j)
		}
	}
	var creds []string
	for _, c := range order {
		if unproven[c] {
			creds = append(creds, c.secret)
		}
	}
	first := publishers[0]
	consequence := "what this workflow publishes is published in part"
	if pypi {
		consequence += ", and PyPI never takes the same file twice"
	}
	a.add(Finding{Code: CodePublishBeforeCheck, Severity: Error, Place: first.place, Secret: strings.Join(creds, ","),
		Message: fmt.Sprintf("%s can publish before %s %s proven: nothing checks %s first, so if %s expired or lost %s rights, %s.",
			wordsList(jobs), wordsList(creds), agree(len(creds), "is", "are"), agree(len(creds), "it", "them"), agree(len(creds), "it has", "they have"), agree(len(creds), "its", "their"), consequence),
		Fix: a.fixWords(r)})
}

// provenBefore reports a token-gate check of c, or a push with c, that must
// succeed before s can run.
func provenBefore(c credKey, s *event, proofs []*event) bool {
	for _, p := range proofs {
		if p.hasCred && (p.kind == evCheck && p.cred.matches(c) || p.kind == evPush && p.cred == c) && gates(p, s) {
			return true
		}
	}
	return false
}

// probedImages compares each check's packages with what its credential
// pushes: images pushed in its run but not probed, and images probed that
// no workflow pushes with it.
func (a *auditor) probedImages(runs []*run, cs *credSet) {
	for _, r := range runs {
		pushedHere := map[credKey][]string{}
		for _, p := range r.events(evPush) {
			if p.hasCred && p.image != "" && !slices.Contains(pushedHere[p.cred], p.image) {
				pushedHere[p.cred] = append(pushedHere[p.cred], p.image)
			}
		}
		for _, c := range r.events(evCheck) {
			if !c.hasCred {
				continue
			}
			var missing, extra []string
			for k, imgs := range pushedHere {
				if !c.cred.matches(k) {
					continue
				}
				for _, img := range imgs {
					if !slices.Contains(c.packages, img) && !slices.Contains(missing, img) {
						missing = append(missing, img)
					}
				}
			}
			for _, img := range c.packages {
				if !pushedAnywhere(cs, c.cred, img) {
					extra = append(extra, img)
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				a.add(Finding{Code: CodeImageNotProbed, Severity: Warning, Place: c.packagesPlace, Secret: c.cred.secret,
					Message: fmt.Sprintf("This check of %s does not probe %s, which %s pushes in this workflow: a refusal there would show only at the push.",
						c.cred.secret, wordsList(missing), c.cred.secret),
					Fix: "Add to packages: " + strings.Join(missing, ", ") + "."})
			}
			if len(extra) > 0 {
				a.add(Finding{Code: CodeProbedNotPushed, Severity: Warning, Place: c.packagesPlace, Secret: c.cred.secret,
					Message: fmt.Sprintf("This check of %s probes %s, which no workflow pushes with %s: the check proves a right nobody uses, and may hide a name that drifted.",
						c.cred.secret, wordsList(extra), c.cred.secret),
					Fix: "Remove from packages, or correct the name: " + strings.Join(extra, ", ") + "."})
			}
		}
	}
}

func pushedAnywhere(cs *credSet, k credKey, img string) bool {
	for key, c := range cs.byKey {
		if k.matches(key) && (slices.Contains(c.Images, img) || cs.unlisted[key]) {
			return true
		}
	}
	return false
}

// events lists a run's events of one kind, in file order of their jobs.
func (r *run) events(kind eventKind) []*event {
	var out []*event
	for _, n := range r.nodes {
		for _, e := range n.events {
			if e.kind == kind {
				out = append(out, e)
			}
		}
	}
	return out
}

func wordsList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// agree picks the word that agrees with n things: one, or many.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
