package audit

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/workflow"
)

// Where each secret is read: every secrets.NAME in a job, its steps and the
// env it sees, named as the repository knows it, for the inventory's
// unused, missing and shadowed secrets (docs/inventory.md).

// secretRefs lists the places a run's jobs read secrets, once each.
func (a *auditor) secretRefs(r *run) []finding.SecretRef {
	if !r.reffed {
		r.refs, r.reffed = a.listSecretRefs(r), true
	}
	return r.refs
}

// listSecretRefs lists every place the run reads a secret.
func (a *auditor) listSecretRefs(r *run) []finding.SecretRef {
	var out []finding.SecretRef
	// A call's secrets: mapping is read in the root file and again, with
	// its via, through the called job that reads it: the latter is kept.
	at := map[string]int{}
	add := func(ref finding.SecretRef) {
		key := fmt.Sprintf("%s\x00%s\x00%d\x00%s", ref.Secret, ref.File, ref.Line, ref.Job)
		i, seen := at[key]
		switch {
		case !seen:
			at[key] = len(out)
			out = append(out, ref)
		case out[i].Via == "" && ref.Via != "":
			out[i] = ref
		}
	}
	for _, n := range r.nodes {
		env := ""
		if n.job.Environment != nil {
			env = n.job.Environment.Text
		}
		read := func(v workflow.Value, s *workflow.Step) {
			for _, name := range secretNames(v.Text) {
				ref, ok := n.rootRef(name, v)
				if !ok {
					continue // a secret the call does not pass: it reads empty
				}
				ref.Environment, ref.Role = env, n.role(s, name)
				if s != nil && ref.Via == "" {
					ref.Step = s.Label()
				}
				add(ref)
			}
		}
		for _, v := range n.job.Exprs {
			read(v, nil)
		}
		for _, s := range n.job.Steps {
			for _, v := range s.Exprs {
				read(v, s)
			}
		}
		if n.job.Uses == nil {
			// A call's own job runs no step: the workflow's env is read
			// by the jobs that do.
			for _, v := range n.file.Env {
				read(v.Value, nil)
			}
		}
	}
	return out
}

// secretNames lists the secrets.NAME references of a value's expressions
// (context names are read in any case).
func secretNames(text string) []string {
	if !expr.Mentions(text, "secrets") {
		return nil
	}
	var out []string
	for _, path := range expr.TextRefs(text) {
		if len(path) == 2 && strings.EqualFold(path[0], "secrets") && path[1] != "*" {
			out = append(out, path[1])
		}
	}
	return out
}

// rootRef places a reference as the root workflow reads it: in the root
// file, where it stands; through a call, at the caller's mapping of it (or
// its secrets: inherit), renamed, with the reference itself as via.
func (n *node) rootRef(name string, v workflow.Value) (finding.SecretRef, bool) {
	if strings.EqualFold(name, "GITHUB_TOKEN") {
		return finding.SecretRef{}, false // GitHub's own, never a repository secret
	}
	at := v.At(strings.Index(v.Text, name))
	ref := finding.SecretRef{Secret: name, Place: Place{File: n.file.Path, Line: at.Line, Column: at.Col, Job: n.job.ID}}
	if n.caller == nil {
		return ref, true
	}
	ref.Via = fmt.Sprintf("%s:%d", n.file.Path, at.Line)
	for c := n.caller; c != nil; c = c.caller {
		switch {
		case c.job.InheritSecrets && c.job.SecretsKey != nil:
			ref.Place = Place{File: c.file.Path, Line: c.job.SecretsKey.Line, Column: c.job.SecretsKey.Col, Job: c.job.ID}
		default:
			mapped, ok := workflow.Lookup(c.job.Secrets, name)
			if !ok {
				return finding.SecretRef{}, false
			}
			names := secretNames(mapped.Text)
			if len(names) != 1 {
				return finding.SecretRef{}, false
			}
			name = names[0]
			at := mapped.At(strings.Index(mapped.Text, name))
			ref.Place = Place{File: c.file.Path, Line: at.Line, Column: at.Col, Job: c.job.ID}
		}
	}
	ref.Secret = name
	return ref, true
}

// role says what a step does with a secret it reads (by the name its file
// writes), from the step's events: a login's password, or its username.
func (n *node) role(s *workflow.Step, name string) finding.Role {
	if s == nil {
		return finding.RoleOther
	}
	role := finding.RoleOther
	for _, e := range n.events {
		if e.step != s {
			continue
		}
		switch e.kind {
		case evLogin, evPush:
			if e.hasCred && !strings.EqualFold(e.cred.secret, n.rootSecret(name)) {
				return finding.RoleUsername
			}
			return finding.RolePush
		case evCheck:
			role = finding.RoleCheck
		case evPublish:
			if role == finding.RoleOther {
				role = finding.RolePublish
			}
		}
	}
	return role
}
