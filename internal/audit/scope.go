package audit

import (
	"strings"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/workflow"
)

// Reached is the workflow file and every local reusable workflow it calls,
// however deep: the files a run of it reads.
func Reached(repo *workflow.Repo, file string) map[string]bool {
	reached := map[string]bool{}
	queue := []string{file}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		f := repo.File(path)
		if f == nil || reached[f.Path] {
			continue
		}
		reached[f.Path] = true
		for _, j := range f.Jobs {
			if j.Uses != nil && strings.HasPrefix(j.Uses.Text, "./") {
				callee, _, _ := strings.Cut(j.Uses.Text, "@")
				queue = append(queue, callee)
			}
		}
	}
	return reached
}

// WithinWorkflow is the report as a step of one workflow sees it. In a
// workflow that pushes or publishes, an error in a file it never reaches
// is a warning there, so that a preflight's audit: fail holds back its own
// release, never for a fault in another workflow, whose own preflight
// fails on it. A workflow that pushes and publishes nothing (an audit on
// pull requests) has no release of its own: the whole repository's errors
// count. Unknown file: the report as it is.
func WithinWorkflow(rep finding.Report, repo *workflow.Repo, file string) finding.Report {
	reached := Reached(repo, file)
	if len(reached) == 0 || !releases(rep, reached) {
		return rep
	}
	out := rep
	out.Findings = make([]Finding, len(rep.Findings))
	for i, f := range rep.Findings {
		if f.Severity == Error && !reached[f.File] {
			f.Severity = Warning
		}
		out.Findings[i] = f
	}
	return out
}

// releases reports whether the files push with a credential or publish.
func releases(rep finding.Report, files map[string]bool) bool {
	for _, c := range rep.Credentials {
		for _, u := range c.Uses {
			if files[u.File] {
				return true
			}
		}
	}
	for _, p := range rep.Publishes {
		if files[p.File] {
			return true
		}
	}
	return false
}
