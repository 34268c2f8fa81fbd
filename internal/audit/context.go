package audit

import (
	"slices"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/workflow"
)

// What an expression in a job may know before the run: its matrix values
// and inputs, the env in scope, and the repository's name when known.
// Secrets are never evaluated, only named.

// lookup answers an expression's property paths in one leg of a job:
// matrix.*, inputs.*, env.* from the env in scope, and the repository's
// name when known.
func (a *auditor) lookup(n *node, s *workflow.Step, l leg) expr.Lookup {
	return func(path []string) (any, bool) { return a.contextValue(n, s, l, path) }
}

// contextValue is lookup's answer for one path.
func (a *auditor) contextValue(n *node, s *workflow.Step, l leg, path []string) (any, bool) {
	switch strings.ToLower(path[0]) {
	case "matrix":
		if n.matrixUnknown != "" {
			return nil, false
		}
		return walkPath(l.matrix, path[1:])
	case "inputs":
		if l.inputs == nil {
			return nil, false
		}
		v, ok := walkPath(l.inputs, path[1:])
		if _, unknown := v.(unknownInput); unknown {
			return nil, false
		}
		return v, ok
	case "env":
		if len(path) != 2 {
			return nil, false
		}
		v, ok := n.envValue(s, path[1])
		if !ok || expr.HasExpr(v.Text) {
			return nil, false
		}
		return v.Text, true
	case "github":
		return a.githubContext(path[1:])
	}
	return nil, false
}

// githubContext answers github.repository and its parts when the
// repository is known (Options.Repository).
func (a *auditor) githubContext(path []string) (any, bool) {
	if len(path) == 0 || a.opts.Repository == "" {
		return nil, false
	}
	owner, name, _ := strings.Cut(a.opts.Repository, "/")
	switch {
	case joinedIs(path, "repository"):
		return a.opts.Repository, true
	case joinedIs(path, "repository_owner"):
		return owner, true
	case joinedIs(path, "event.repository.name"):
		return name, true
	}
	return nil, false
}

func walkPath(m map[string]any, path []string) (any, bool) {
	var v any = m
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, true // a missing key reads as null
		}
		v = nil
		for k, x := range obj {
			if strings.EqualFold(k, p) {
				v = x
			}
		}
	}
	return v, true
}

// template is text compiled once: a matrix fills the same names in every
// combination.
func (a *auditor) template(text string) expr.Template {
	return once(&a.memo.mu, a.memo.templates, text, func() expr.Template { return expr.Compile(text) })
}

// eval evaluates a value that is one expression, or text with expressions
// in it, in one leg.
func (a *auditor) eval(n *node, s *workflow.Step, l leg, text string) (any, bool) {
	t := a.template(text)
	if node, whole, ok := t.Whole(); whole {
		// A value that is one expression keeps its type (a list, a
		// number), as GitHub gives it.
		if !ok {
			return nil, false
		}
		return expr.Eval(node, a.lookup(n, s, l))
	}
	return t.Interpolate(a.lookup(n, s, l), nil)
}

// envValue finds an env variable in scope: the step's, the job's, then the
// workflow's (a called workflow does not see its caller's env).
func (n *node) envValue(s *workflow.Step, name string) (workflow.Value, bool) {
	if s != nil {
		if v, ok := workflow.Lookup(s.Env, name); ok {
			return v, true
		}
	}
	if v, ok := workflow.Lookup(n.job.Env, name); ok {
		return v, true
	}
	return workflow.Lookup(n.file.Env, name)
}

// envScope says where an env variable is set: "step", "job", "workflow",
// or "" when nowhere.
func (n *node) envScope(s *workflow.Step, name string) string {
	if s != nil {
		if _, ok := workflow.Lookup(s.Env, name); ok {
			return "step"
		}
	}
	if _, ok := workflow.Lookup(n.job.Env, name); ok {
		return "job"
	}
	if _, ok := workflow.Lookup(n.file.Env, name); ok {
		return "workflow"
	}
	return ""
}

// secretRefs lists the secrets a value carries, by the names the root
// workflow knows them by: secrets.NAME (renamed through a call's secrets:),
// secrets.GITHUB_TOKEN and github.token as GITHUB_TOKEN, and env.NAME or
// $NAME through the env in scope.
func (n *node) secretRefs(text string, s *workflow.Step, depth int) []string {
	if depth > 4 {
		return nil
	}
	var out []string
	add := func(name string) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	segs, _ := expr.Scan(text)
	for _, seg := range segs {
		if !seg.Expr {
			for _, v := range shellVars(seg.Text) {
				if val, ok := n.envValue(s, v); ok {
					for _, name := range n.secretRefs(val.Text, s, depth+1) {
						add(name)
					}
				}
			}
			continue
		}
		parsed, err := expr.Parse(seg.Text)
		if err != nil {
			continue
		}
		for _, path := range expr.Refs(parsed) {
			switch {
			case len(path) == 2 && strings.EqualFold(path[0], "secrets"):
				add(n.rootSecret(path[1]))
			case len(path) == 2 && strings.EqualFold(path[0], "github") && strings.EqualFold(path[1], "token"):
				add("GITHUB_TOKEN")
			case len(path) == 2 && strings.EqualFold(path[0], "inputs") && n.outer != nil:
				if val, ok := workflow.Lookup(n.outerStep.With, path[1]); ok {
					for _, name := range n.outer.secretRefs(val.Text, n.outerStep, depth+1) {
						add(name)
					}
				}
			case len(path) == 2 && strings.EqualFold(path[0], "env"):
				if val, ok := n.envValue(s, path[1]); ok {
					for _, name := range n.secretRefs(val.Text, s, depth+1) {
						add(name)
					}
				}
			}
		}
	}
	return out
}

// rootSecret names a secret as the root workflow knows it; "" for one a
// call did not pass (it is empty there).
func (n *node) rootSecret(name string) string {
	if strings.EqualFold(name, "GITHUB_TOKEN") {
		return "GITHUB_TOKEN"
	}
	if n.secrets == nil {
		return name
	}
	return n.secrets[strings.ToUpper(name)]
}
