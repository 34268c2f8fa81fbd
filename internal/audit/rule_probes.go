package audit

import (
	"fmt"
	"sort"
	"strings"
)

// image-not-probed and probed-not-pushed: each check's packages against
// what its credential pushes: images pushed in its run but not probed, and
// images probed that no workflow pushes with it.
func (a *auditor) probedImages(r *run, cs *credSet) {
	pushedHere := map[credKey][]string{}
	for p := range r.events() {
		if p.kind == evPush && p.hasCred {
			if _, seen := pushedHere[p.cred]; !seen {
				pushedHere[p.cred] = runImages(r, p.cred)
			}
		}
	}
	for c := range r.events() {
		if c.kind != evCheck || !c.hasCred {
			continue
		}
		probed := map[string]bool{}
		for _, img := range c.packages {
			probed[img] = true
		}
		var missing, extra []string
		seen := map[string]bool{}
		for k, imgs := range pushedHere {
			if !c.cred.matches(k) {
				continue
			}
			for _, img := range imgs {
				if !probed[img] && !seen[img] {
					seen[img] = true
					missing = append(missing, img)
				}
			}
		}
		for _, img := range c.packages {
			if !cs.pushedAnywhere(c.cred, img) {
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
