package audit

import (
	"fmt"
	"iter"
	"slices"
	"strings"
)

// images-in-part: one credential's images can be pushed while another's
// push fails, because the other is expired or cannot push there (one step
// pushing to two registries after both logins, or two jobs side by side).
// The release is then in part: a rerun of the failed jobs pushes the rest,
// unless the registry keeps tags immutable.
func (a *auditor) imagesInPart(r *run) {
	p := a.planner(r)
	pushed := map[credKey]map[credKey]bool{} // bad credential -> credentials whose images went out
	var where *event
	for _, k := range runCreds(r) {
		for _, mode := range []badMode{expired, noRights} {
			if k.secret == "GITHUB_TOKEN" && mode == expired {
				continue
			}
			p.whileBad(k, mode, func(ran iter.Seq[*event]) {
				if !triedPush(ran, k) {
					return
				}
				for e := range ran {
					if e.kind != evPush || !e.hasCred || e.cred.matches(k) {
						continue
					}
					if pushed[k] == nil {
						pushed[k] = map[credKey]bool{}
					}
					pushed[k][e.cred] = true
					if where == nil || byPlace(e, where) < 0 {
						where = e
					}
				}
			})
		}
	}
	if len(pushed) == 0 {
		return
	}
	var names []string
	for _, k := range runCreds(r) {
		if pushed[k] != nil {
			names = append(names, credWords(k))
		}
		for _, m := range pushed {
			for o := range m {
				if w := credWords(o); !slices.Contains(names, w) && pushed[o] == nil {
					names = append(names, w)
				}
			}
		}
	}
	names = dedupe(names)
	a.add(Finding{Code: CodeImagesInPart, Severity: Warning, Place: where.place, Secret: strings.Join(secretsOf(pushed), ","),
		Message: fmt.Sprintf("The images pushed with %s can be released in part: one of them can fail to push (expired, or no right to push there) after another has pushed its images. A rerun of the failed jobs (gh run rerun --failed) pushes the rest only if every step of those jobs can run twice (a check that a tag is new, or an upload to PyPI, cannot), and not where the registry keeps tags immutable.",
			wordsList(names)),
		Fix: "Probe every credential's images before any of them is pushed: a preflight job that checks each with its packages."})
}

// triedPush reports whether some push with k ran.
func triedPush(ran iter.Seq[*event], k credKey) bool {
	for e := range ran {
		if e.kind == evPush && e.hasCred && e.cred.matches(k) {
			return true
		}
	}
	return false
}

func secretsOf(m map[credKey]map[credKey]bool) []string {
	var out []string
	for k, others := range m {
		if !slices.Contains(out, k.secret) {
			out = append(out, k.secret)
		}
		for o := range others {
			if !slices.Contains(out, o.secret) {
				out = append(out, o.secret)
			}
		}
	}
	slices.Sort(out)
	return out
}
