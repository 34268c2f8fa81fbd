package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// image-not-probed and probed-not-pushed: each check's packages against
// what its credential pushes: images pushed in its run but not probed, and
// images probed that no workflow pushes with it.
func (a *auditor) probedImages(r *run, cs *credSet) {
	pushedHere := map[credKey][]string{}
	for _, n := range r.nodes {
		for _, p := range n.events {
			if p.kind != evPush || !p.hasCred {
				continue
			}
			img := p.image
			if img == "" {
				img = p.template
			}
			if img != "" && !slices.Contains(pushedHere[p.cred], img) {
				pushedHere[p.cred] = append(pushedHere[p.cred], img)
			}
		}
	}
	for _, n := range r.nodes {
		for _, c := range n.events {
			if c.kind != evCheck || !c.hasCred {
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
}
