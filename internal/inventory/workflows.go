package inventory

import (
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/workflow"
)

// ReadsAnySecret reports whether the workflows may read a secret by a name
// the audit cannot list: a computed one (secrets[format(...)]), every one
// (toJSON(secrets)), or through secrets: inherit into a reusable workflow
// of another repository, which cannot be read from this one
// (docs/facts.md, "Workflows"). No secret reaching such a repository is
// then called unused.
func ReadsAnySecret(files []*workflow.File) bool {
	for _, f := range files {
		for _, v := range f.Env {
			if readsAll(v.Value.Text) {
				return true
			}
		}
		for _, j := range f.Jobs {
			if j.InheritSecrets && j.Uses != nil && !strings.HasPrefix(j.Uses.Text, "./") {
				return true
			}
			for _, v := range j.Exprs {
				if readsAll(v.Text) {
					return true
				}
			}
			for _, v := range j.Secrets {
				if readsAll(v.Value.Text) {
					return true
				}
			}
			for _, s := range j.Steps {
				for _, v := range s.Exprs {
					if readsAll(v.Text) {
						return true
					}
				}
			}
		}
	}
	return false
}

// readsAll reports an expression that reads the secrets context whole or
// by a computed name.
func readsAll(text string) bool {
	if !expr.Mentions(text, "secrets") {
		return false
	}
	for _, path := range expr.TextRefs(text) {
		if len(path) > 0 && strings.EqualFold(path[0], "secrets") && (len(path) == 1 || path[1] == "*") {
			return true
		}
	}
	return false
}
