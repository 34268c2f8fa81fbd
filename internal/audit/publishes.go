package audit

import (
	"strconv"

	"github.com/token-gate/token-gate/internal/finding"
)

// publishes lists every step of a run that publishes, once each: what the
// JSON's publishes and the corpus labels speak of.
func (a *auditor) publishes(r *run, seen map[string]bool) []finding.Publish {
	var out []finding.Publish
	for _, n := range r.nodes {
		for _, e := range n.events {
			var p finding.Publish
			switch e.kind {
			case evPush:
				p = finding.Publish{Kind: "image", Target: e.image, Known: !e.maybe}
				if e.hasCred {
					p.Secret = e.cred.secret
				}
				if p.Target == "" {
					p.Target = e.template
				}
			case evPublish:
				p = finding.Publish{Kind: e.publishKind, Target: e.target, Known: true, Secret: e.secret}
			case evMaybe:
				p = finding.Publish{Kind: "other", Target: e.target}
			default:
				continue
			}
			p.Place = e.place
			if e.step != nil && e.step.Uses != nil && e.place.File == n.file.Path {
				p.Place = a.place(n.file, e.step.Uses.Pos, n, e.step)
			} else if e.step != nil && e.step.Run == nil && e.place.File == n.file.Path {
				p.Place = a.place(n.file, e.step.Pos, n, e.step)
			}
			if n.caller != nil {
				top := n.top
				if top.job.Uses != nil {
					c := a.place(top.file, top.job.Uses.Pos, top, nil)
					p.Caller = &c
				}
			}
			key := p.File + "\x00" + p.Kind + "\x00" + p.Job + "\x00" + strconv.Itoa(p.Line) + "\x00" + p.Target + "\x00" + p.Secret
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}
