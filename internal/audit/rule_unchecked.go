package audit

import (
	"fmt"
	"slices"

	"github.com/token-gate/token-gate/internal/image"
)

// unchecked-credential: a credential that pushes, or may push, and that no
// token-gate step of the run checks. Its login fails early when it has
// expired, but nothing warns before it expires, and its right to push
// shows only at the push. GITHUB_TOKEN is not meant: it lives for the job.
// A job that only logs in (to read) makes no credential a push credential.
func (a *auditor) unchecked(r *run, cs *credSet) {
	for _, k := range runCreds(r) {
		if k.secret == "GITHUB_TOKEN" || !cs.pushes[k] || cs.exchanged(k) != "" {
			continue
		}
		var first *event
		checked := false
		for e := range r.events() {
			if !e.hasCred || !e.cred.matches(k) && !k.matches(e.cred) {
				continue
			}
			switch e.kind {
			case evCheck:
				checked = true
			case evLogin, evPush:
				if first == nil || earlierUse(r, e, first) {
					first = e
				}
			}
		}
		if checked || first == nil {
			continue
		}
		pushes := "pushes images the audit cannot name"
		if imgs := runImages(r, k); len(imgs) > 0 {
			pushes = "pushes " + wordsList(clipList(imgs, 3))
		}
		// GitHub tells a token's expiry; Docker Hub and most registries
		// tell no token its own (docs/facts.md, "Docker Hub").
		risk := "nothing warns before it expires, and a missing right to push shows only at the push"
		if !registryMatches(githubRegistry, k.registry) {
			risk = "nothing proves it before the job that logs in, and a missing right to push shows only at the push"
		}
		a.add(Finding{Code: CodeUnchecked, Severity: Warning, Place: first.place, Secret: k.secret,
			Message: fmt.Sprintf("%s logs in to %s in job %s and %s, and no token-gate step checks it: %s.",
				k.secret, image.DisplayHost(k.registry), first.node.id, pushes, risk),
			Fix: "Check it with token-gate before it is used."})
	}
}

// clipList keeps the first n items and says how many more there are.
func clipList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(slices.Clone(items[:n]), fmt.Sprintf("%d more", len(items)-n))
}

// earlierUse orders uses for the one a finding points at: the root file's
// own lines first, then by place.
func earlierUse(r *run, e, than *event) bool {
	if inRoot, thanInRoot := e.node.file == r.root, than.node.file == r.root; inRoot != thanInRoot {
		return inRoot
	}
	return byPlace(e, than) < 0
}
