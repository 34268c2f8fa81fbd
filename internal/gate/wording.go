package gate

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
)

// Words every rule needs, which depend on where the reader is: a workflow
// run sets inputs and re-runs jobs; a terminal sets flags and GH_TOKEN and
// runs the command again.

// input names an input as the reader sets it: `packages` or --packages.
func (j *judge) input(name string) string { return config.Label(name, j.cfg.Terminal) }

// again says how to repeat the check.
func (j *judge) again() string {
	if j.cfg.Terminal {
		return "run the check again"
	}
	return "re-run the job"
}

// updateSecret says where the token, once replaced, is saved.
func (j *judge) updateSecret() string {
	return fmt.Sprintf("Then update the secret %s at %s.", j.name, j.links.Secrets())
}

// firstDenied is the first image the registry refused.
func (j *judge) firstDenied() (facts.ImageResult, bool) {
	for _, r := range j.in.Facts.Images {
		if r.Outcome == facts.Denied {
			return r, true
		}
	}
	return facts.ImageResult{}, false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
