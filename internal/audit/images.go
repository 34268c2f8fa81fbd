package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/workflow"
)

// images resolves image references in every leg of the job, and normalises
// each as the gate normalises packages (image.Parse, one home for that
// rule): OWNER/NAME is on home, docker.io for what docker pushes.
//
// unlisted are the references it cannot list: the credential pushes
// something more than out says. templates are names the runner can fill
// in a check's packages (${{ github.repository }}, vars.*, the workflow's
// env), written with their registry.
func (a *auditor) images(n *node, s *workflow.Step, home string, place Place, refs []string) (out, unlisted, templates []string) {
	seen := map[string]bool{}
	add := func(img string) {
		if !seen[img] {
			seen[img] = true
			out = append(out, img)
		}
	}
	// addName adds a name known in full, or keeps it to say, once, that it
	// is no image reference.
	var bad []string
	addName := func(ref string) {
		if img, ok := a.normalise(ref, home); ok {
			add(img)
			return
		}
		unlisted = append(unlisted, ref)
		if !slices.Contains(bad, ref) {
			bad = append(bad, ref)
		}
	}
	defer func() {
		if len(bad) == 0 {
			return
		}
		var quoted []string
		for _, b := range clipList(bad, 3) {
			quoted = append(quoted, clipText(b))
		}
		a.unresolved(place, "", fmt.Sprintf("%s names %s, which %s no image reference token-gate can read.", stepWords(n, s), wordsList(quoted), agree(len(bad), "is", "are")))
	}()
	for _, ref := range refs {
		ref = strings.TrimPrefix(strings.TrimSpace(ref), "docker://")
		if ref == "" {
			continue
		}
		if !expr.HasExpr(ref) && len(shellVars(ref)) == 0 {
			addName(ref)
			continue
		}
		if len(shellVars(ref)) > 0 {
			// The tag is often a runner variable ($GITHUB_SHA) that no
			// env: holds; push rights belong to the repository anyway.
			resolved, ok := a.shellExpand(n, s, stripTag(ref))
			if !ok {
				unlisted = append(unlisted, ref)
				continue
			}
			ref = resolved
			if !expr.HasExpr(ref) {
				addName(ref)
				continue
			}
		}
		if n.matrixUnknown != "" && strings.Contains(ref, "matrix.") {
			unlisted = append(unlisted, ref)
			a.unresolved(place, "", fmt.Sprintf("%s names images by a matrix that is an expression (%s), known only when the run starts; they are not listed.", stepWords(n, s), clipText(n.matrixUnknown)))
			continue
		}
		for _, l := range n.legs {
			var unknown []string
			keep := func(e string) string { // an unknown expression stays as written
				unknown = append(unknown, e)
				return "${{ " + e + " }}"
			}
			text, _ := a.template(ref).Interpolate(a.lookup(n, s, l), keep)
			if len(unknown) > 0 {
				// An expression that only builds a string (format, join)
				// is filled with what it knows, the rest marked: the
				// marks may all fall in the tag.
				if marked, ok := a.marked(n, s, l, ref); ok {
					text, unknown = marked, nil
					if strings.Contains(stripTag(text), "\x01") {
						text, _ = a.template(ref).Interpolate(a.lookup(n, s, l), keep)
					}
				}
			}
			repo := stripTag(text)
			if len(unknown) == 0 || !strings.Contains(repo, "${{") {
				addName(repo) // what is unknown was only the tag
				continue
			}
			if t, ok := a.imageTemplate(n, s, repo, home, unknown); ok {
				if !slices.Contains(templates, t) {
					templates = append(templates, t)
				}
				continue
			}
			unlisted = append(unlisted, ref)
			break
		}
	}
	sort.Strings(out)
	return out, unlisted, templates
}

// imageTemplate writes a name whose unknown parts only the runner knows,
// and the runner can give a check too (github.*, vars.*, the workflow's
// env), with its registry: what a fix writes into packages.
func (a *auditor) imageTemplate(n *node, s *workflow.Step, repo, home string, unknown []string) (string, bool) {
	for _, e := range unknown {
		parsed, err := expr.Parse(e)
		if err != nil {
			return "", false
		}
		for _, p := range expr.Refs(parsed) {
			switch strings.ToLower(p[0]) {
			case "github", "vars":
			case "env":
				if len(p) != 2 || n.envScope(s, p[1]) != "workflow" || n.file != n.top.file {
					return "", false
				}
			case "needs":
				// Another job's output: a check that needs that job can
				// read it too (fixwrite.go decides whether it may).
				if len(p) < 4 || !strings.EqualFold(p[2], "outputs") || n.caller != nil {
					return "", false
				}
			default:
				return "", false
			}
		}
	}
	host, rest, found := strings.Cut(repo, "/")
	if found && !expr.HasExpr(host) && (strings.ContainsAny(host, ".:") || host == "localhost") {
		return strings.ToLower(host) + "/" + rest, true
	}
	return image.DisplayHost(image.RegistryFromInput(home)) + "/" + repo, true
}

// shellExpand replaces $NAME and ${NAME} by the env in scope, or by a
// literal assignment earlier in the same script (REPO=acme/app).
func (a *auditor) shellExpand(n *node, s *workflow.Step, ref string) (string, bool) {
	out := ref
	for _, name := range shellVars(ref) {
		text, ok := "", false
		if v, found := n.envValue(s, name); found {
			text, ok = v.Text, true
		} else if s != nil && s.Run != nil {
			text, ok = scriptAssignment(s.Run.Text, name)
		}
		if !ok {
			return ref, false
		}
		out = strings.ReplaceAll(out, "${"+name+"}", text)
		out = strings.ReplaceAll(out, "$"+name, text)
	}
	return out, true
}

// scriptAssignment finds NAME=value (or export NAME=value) in a script,
// when the script assigns NAME once, to a literal.
func scriptAssignment(script, name string) (string, bool) {
	value, found := "", 0
	for _, line := range logicalLines(script) {
		for _, piece := range splitList(line.text) {
			for _, w := range shellWords(piece.text) {
				k, v, ok := strings.Cut(w, "=")
				if ok && k == name {
					value, found = v, found+1
				}
			}
		}
	}
	if found != 1 || strings.ContainsAny(value, "$`") {
		return "", false
	}
	return value, true
}

// loopList finds the list a script's `for NAME in $LIST` walks, when the
// script binds NAME once, that way, and the list is one variable: LIST.
func loopList(script, name string) (string, bool) {
	list, found := "", 0
	for _, line := range logicalLines(script) {
		for _, piece := range splitList(line.text) {
			w := shellWords(piece.text)
			if len(w) == 4 && w[0] == "for" && w[1] == name && w[2] == "in" {
				vars := shellVars(w[3])
				if len(vars) == 1 && (w[3] == "$"+vars[0] || w[3] == "${"+vars[0]+"}") {
					list, found = vars[0], found+1
				} else {
					found += 2 // a list the audit cannot read
				}
			}
		}
	}
	return list, found == 1
}

// loopRefs reads a pushed reference that is a loop's variable walking an
// env variable's tags (for tag in $TAGS, TAGS from metadata-action's tags
// output): the images those tags name, as a tags input would.
func (a *auditor) loopRefs(n *node, s *workflow.Step, refs []string) []string {
	if s == nil || s.Run == nil {
		return refs
	}
	var out []string
	for _, ref := range refs {
		vars := shellVars(ref)
		if len(vars) == 1 && (ref == "$"+vars[0] || ref == "${"+vars[0]+"}") {
			if list, ok := loopList(s.Run.Text, vars[0]); ok {
				if env, found := n.envValue(s, list); found {
					out = append(out, tagRefs(n.job, env.Text)...)
					continue
				}
			}
		}
		out = append(out, ref)
	}
	return out
}

// stripTag drops a reference's tag or digest, which may be an expression:
// push rights belong to the repository.
func stripTag(ref string) string {
	if at := strings.Index(ref, "@"); at >= 0 {
		ref = ref[:at]
	}
	// The tag's colon is the last one outside ${{ }} and ${…}, after the
	// last slash.
	depth, slash, colon := 0, -1, -1
	for i := 0; i < len(ref); i++ {
		switch {
		case strings.HasPrefix(ref[i:], "${{"):
			depth++
			i += 2
		case strings.HasPrefix(ref[i:], "${"):
			depth++
			i++
		case strings.HasPrefix(ref[i:], "}}") && depth > 0:
			depth--
			i++
		case ref[i] == '}' && depth > 0:
			depth--
		case depth == 0 && ref[i] == '/':
			slash = i
		case depth == 0 && ref[i] == ':':
			colon = i
		}
	}
	// slash counts only slashes outside ${…}: a tag built by the shell
	// (${GITHUB_REF#refs/tags/}) may hold its own.
	if colon > slash && colon > 0 {
		ref = ref[:colon]
	}
	return ref
}

// normalise parses a reference as the gate does and writes it as the gate
// writes it. A matrix asks the same names again and again, so the answers
// are kept.
func (a *auditor) normalise(ref, home string) (string, bool) {
	r := once(&a.memo.mu, a.memo.names, home+" "+ref, func() parsedName {
		img, err := image.Parse(strings.ToLower(ref), image.RegistryFromInput(home))
		if err != nil {
			return parsedName{}
		}
		return parsedName{image: img.String(), ok: true}
	})
	return r.image, r.ok
}

type parsedName struct {
	image string
	ok    bool
}

// literalRegistry is the registry of a reference the audit cannot list,
// when its host is written out (ghcr.io/acme/${{ x }}, or OWNER/… for
// Docker Hub); else "".
func literalRegistry(ref string) string {
	host, _, found := strings.Cut(ref, "/")
	switch {
	case !found || expr.HasExpr(host) || strings.Contains(host, "$"):
		return ""
	case strings.ContainsAny(host, ".:") || host == "localhost":
		return image.RegistryFromInput(host)
	default:
		return image.RegistryFromInput("docker.io")
	}
}

// marked fills a reference's expressions with what a leg knows, an unknown
// property written as \x01path\x02, when every expression only builds a
// string: with a comparison or a condition, a mark would choose a branch.
func (a *auditor) marked(n *node, s *workflow.Step, l leg, ref string) (string, bool) {
	segs, err := expr.Scan(ref)
	if err != nil {
		return "", false
	}
	look := a.lookup(n, s, l)
	var b strings.Builder
	for _, seg := range segs {
		if !seg.Expr {
			b.WriteString(seg.Text)
			continue
		}
		node := exprNode(seg.Text)
		if node == nil || !onlyBuildsText(node) {
			return "", false
		}
		v, ok := expr.Eval(node, func(path []string) (any, bool) {
			if v, ok := look(path); ok {
				return v, true
			}
			return "\x01" + strings.Join(path, ".") + "\x02", true
		})
		if !ok {
			return "", false
		}
		b.WriteString(expr.String(v))
	}
	return b.String(), true
}

// onlyBuildsText reports an expression of properties, literals and the
// string functions, with no comparison, condition or index.
func onlyBuildsText(n expr.Node) bool {
	switch n := n.(type) {
	case expr.Property, expr.Literal:
		return true
	case expr.Call:
		if n.Name != "format" && n.Name != "join" && n.Name != "tojson" {
			return false
		}
		for _, a := range n.Args {
			if !onlyBuildsText(a) {
				return false
			}
		}
		return true
	}
	return false
}
