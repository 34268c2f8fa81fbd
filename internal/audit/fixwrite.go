package audit

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/workflow"
)

// writePlan turns checks into the fix's text: a preflight job per
// environment for the checks that can be one, a step in the using job for
// the others, and needs: on the guarded jobs. auditMode is what the
// preflight's audit does with this workflow's own errors.
func (a *auditor) writePlan(r *run, p *filePlan, checks []*check, auditMode string) {
	p.edits, p.jobs, p.steps, p.waits, p.caveats = nil, nil, nil, nil, nil
	f := r.root
	groups := map[string][]*check{}
	var envOrder []string
	needs := map[*node][]string{}
	for _, c := range checks {
		if c.existing == nil {
			continue
		}
		for _, g := range c.guards {
			if !slices.Contains(needs[g], c.existing.job.ID) {
				needs[g] = append(needs[g], c.existing.job.ID)
			}
		}
		p.waits = append(p.waits, plannedWait{check: c.existing.id, guards: nodeIDs(c.guards), cred: c.key})
	}
	for _, c := range checks {
		if c.stepOnly != "" || c.existing != nil {
			continue
		}
		c.guards = a.guards(r, c)
		a.packageNeeds(r, c)
		for _, h := range a.unguardable(r, c) {
			p.problems = appendOnce(p.problems, fmt.Sprintf("job %s runs whatever the jobs before it did, so no check holds it back: make its if: wait for the check (add && needs.%s.result == 'success', and %s to its needs)", h.id, Preflight, Preflight))
		}
		if c.tooMany > 0 {
			p.caveats = appendOnce(p.caveats, fmt.Sprintf("%s pushes %d images; its check probes the first %d, as many as a check takes.", c.key.secret, c.tooMany, image.MaxImages))
		}
		if len(c.packages) == 0 && c.key.secret != "GITHUB_TOKEN" {
			p.caveats = appendOnce(p.caveats, fmt.Sprintf("The check of %s names no images (the workflow names them only at run time): it proves the credential, not its right to push them.", c.key.secret))
		}
		// The outputs a condition reads must come from jobs every guarded
		// job already waits for: else needing them changes what runs.
		for _, dep := range c.needs {
			for _, g := range c.guards {
				switch {
				case g == dep:
					c.stepOnly = fmt.Sprintf("its if: reads the outputs of job %s, which must itself wait for the check", dep.id)
				case !g.hasAncestor(dep):
					c.stepOnly = fmt.Sprintf("its if: reads the outputs of job %s, which job %s does not wait for", dep.id, g.id)
				}
			}
		}
		for _, g := range c.guards {
			if _, err := needsEdit(f, g.job, []string{Preflight}); err != nil {
				c.stepOnly = err.Error()
			}
		}
		if c.stepOnly != "" {
			continue
		}
		if _, ok := groups[c.environment]; !ok {
			envOrder = append(envOrder, c.environment)
		}
		groups[c.environment] = append(groups[c.environment], c)
	}
	in := fileIndents(f)
	var jobsText strings.Builder
	var taken []string
	for _, env := range envOrder {
		group := groups[env]
		name := Preflight
		if len(envOrder) > 1 && env != "" {
			name = Preflight + "-" + slug(env)
		}
		id := freeJobID(f, name, taken)
		taken = append(taken, id)
		var guards []*node
		for _, c := range group {
			for _, g := range c.guards {
				if !slices.Contains(guards, g) {
					guards = append(guards, g)
				}
			}
		}
		guards = sortedNodes(guards)
		text := a.preflightYAML(r, in, id, env, group, guards, auditMode)
		jobsText.WriteString(text)
		j := plannedJob{id: id, text: text, environment: env}
		for _, g := range guards {
			needs[g] = append(needs[g], id)
			j.guards = append(j.guards, g.id)
		}
		for _, c := range group {
			j.creds = append(j.creds, c.key)
		}
		p.jobs = append(p.jobs, j)
	}
	p.unpinned = ""
	if v := refVersion(a.tokenGateRef()); pinsBySHA(f) && !isSHA(v) {
		p.unpinned = v
	}
	if jobsText.Len() > 0 {
		e, err := insertJobs(f, placeFor(r, groups), jobsText.String())
		if err != nil {
			p.problems = append(p.problems, err.Error())
			p.jobs = nil
			return
		}
		p.edits = append(p.edits, e)
	}
	for _, g := range sortedNodes(slices.Collect(maps.Keys(needs))) {
		e, err := needsEdit(f, g.job, needs[g])
		if err != nil {
			p.problems = append(p.problems, err.Error())
			continue
		}
		p.edits = append(p.edits, e)
	}
	for _, c := range checks {
		if c.stepOnly != "" {
			a.writeStep(r, p, c)
		}
	}
}

// slug makes an environment's name fit a job ID.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// preflightYAML writes one preflight job, indented as the file indents its
// jobs and steps.
func (a *auditor) preflightYAML(r *run, in indents, id, env string, checks []*check, guards []*node, auditMode string) string {
	f := r.root
	unit := max(in.body-in.job, 1)
	pad := func(n int) string { return strings.Repeat(" ", n) }
	var b strings.Builder
	line := func(indent int, format string, args ...any) {
		fmt.Fprintf(&b, "%s"+format+"\n", append([]any{pad(indent)}, args...)...)
	}
	hoisted := commonJobIf(checks, guards)
	line(in.job, "# Checks the push credentials before anything publishes (token-gate audit --fix).")
	line(in.job, "%s:", id)
	if hoisted != "" {
		line(in.body, "if: %s", yamlScalar(hoisted))
	}
	var deps []string
	for _, c := range checks {
		for _, d := range c.needs {
			if !slices.Contains(deps, d.job.ID) {
				deps = append(deps, d.job.ID)
			}
		}
	}
	switch len(deps) {
	case 0:
	case 1:
		line(in.body, "needs: %s", deps[0])
	default:
		line(in.body, "needs: [%s]", strings.Join(deps, ", "))
	}
	if env != "" {
		// The check reads the secrets the use reads: an environment's
		// secrets exist only in jobs that name it.
		line(in.body, "environment: %s", env)
	}
	line(in.body, "runs-on: %s", runner(f))
	line(in.body, "permissions:")
	line(in.body+unit, "contents: read")
	if slices.ContainsFunc(checks, func(c *check) bool { return c.key.secret == "GITHUB_TOKEN" }) {
		// GITHUB_TOKEN is probed with this job's own permissions.
		line(in.body+unit, "packages: write")
	}
	ref := a.tokenGateRef()
	if pinsBySHA(f) && !isSHA(refVersion(ref)) {
		// The file pins every action by SHA; say so where it shows.
		ref += " # pin by commit SHA, as this file pins its other actions"
	}
	line(in.body, "steps:")
	item := "-" + pad(in.step-in.dash-1) // the dash and its gap, as the file writes them
	line(in.dash, "%suses: %s", item, a.checkoutRef(f))
	line(in.step, "with:")
	if !strings.HasPrefix(ref, "./") {
		// The audit reads only .github; a local token-gate (./) needs
		// the whole tree to build.
		line(in.step+unit, "sparse-checkout: .github")
	}
	line(in.step+unit, "persist-credentials: false")
	first := true
	for _, c := range checks {
		cond := c.condition(hoisted)
		if cond == "false" {
			continue
		}
		if first && cond != "" {
			// The audit runs whatever the checks' conditions say: an
			// audit-only step, given no token and told to skip it.
			line(in.dash, "%suses: %s", item, ref)
			line(in.step, "with:")
			line(in.step+unit, "token: ''")
			line(in.step+unit, "on-missing: skip")
			line(in.step+unit, "audit: %s", auditMode)
			first = false
		}
		line(in.dash, "%suses: %s", item, ref)
		if cond != "" {
			line(in.step, "if: %s", yamlScalar("${{ "+cond+" }}"))
		}
		line(in.step, "with:")
		w := in.step + unit
		if first {
			line(w, "audit: %s", auditMode)
			first = false
		} else {
			line(w, "audit: off")
		}
		writeCheckInputs(line, w, unit, c.key, c.username, c.packages)
	}
	return b.String()
}

// writeCheckInputs writes a check's registry, username, token and packages.
func writeCheckInputs(line func(int, string, ...any), w, unit int, k credKey, username string, packages []string) {
	github := registryMatches(githubRegistry, k.registry)
	if !github {
		line(w, "registry: %s", image.DisplayHost(k.registry))
		// A tab inside ${{ }} is whitespace to GitHub, and no style to
		// copy.
		line(w, "username: %s", yamlScalar(strings.ReplaceAll(username, "\t", " ")))
	}
	if k.secret == "GITHUB_TOKEN" {
		line(w, "token: ${{ github.token }}")
		line(w, "token-name: GITHUB_TOKEN")
		line(w, "required-scopes: ''")
	} else {
		line(w, "token: ${{ secrets.%s }}", k.secret)
		line(w, "token-name: %s", k.secret)
	}
	if len(packages) > 0 {
		line(w, "packages: |")
		for _, img := range packages {
			line(w+unit, "%s", img)
		}
		return
	}
	// Without packages the check proves the login, not the right to push:
	// say so where the maintainer reads it, and what to add.
	line(w, "# packages: the images it pushes, which the audit could not name; listed, each is probed for the right to push")
}

// condition is when a check runs: any of its uses' conditions, less the
// job-level if: the preflight already carries; "" for always.
func (c *check) condition(hoisted string) string {
	var alts []string
	for _, parts := range c.alternatives {
		var kept []string
		for _, p := range parts {
			if p != hoisted {
				kept = append(kept, p)
			}
		}
		if len(kept) == 0 {
			return ""
		}
		if slices.Contains(kept, "false") {
			continue
		}
		for i, p := range kept {
			if len(kept) > 1 && strings.Contains(p, "||") {
				kept[i] = "(" + p + ")"
			}
		}
		alt := strings.Join(kept, " && ")
		if !slices.Contains(alts, alt) {
			alts = append(alts, alt)
		}
	}
	if len(alts) == 0 {
		return "false"
	}
	if len(alts) == 1 {
		return alts[0]
	}
	for i, alt := range alts {
		if strings.Contains(alt, "||") || strings.Contains(alt, "&&") {
			alts[i] = "(" + alt + ")"
		}
	}
	return strings.Join(alts, " || ")
}

// commonJobIf is a job-level if: that every guarded job and every use's
// job carries alike, which the preflight can carry too: it then runs only
// where they can (no runner spent on a fork, say).
func commonJobIf(checks []*check, guards []*node) string {
	var jobs []*node
	jobs = append(jobs, guards...)
	for _, c := range checks {
		for _, e := range c.uses {
			jobs = append(jobs, e.node.top)
		}
	}
	key, text := "", ""
	for i, n := range jobs {
		if n.cond == nil || n.cond.status || n.cond.node == nil {
			return ""
		}
		for _, ctx := range n.cond.contexts() {
			if ctx != "github" && ctx != "vars" && ctx != "inputs" {
				return ""
			}
		}
		if i == 0 {
			key = n.cond.key()
			text = strings.TrimSpace(n.cond.value.Text) // as parsed: a quoted if: is quoted again when written
			if t, ok := strings.CutPrefix(text, "${{"); ok && strings.HasSuffix(t, "}}") {
				text = strings.TrimSpace(strings.TrimSuffix(t, "}}"))
			}
		} else if n.cond.key() != key {
			return ""
		}
	}
	return text
}

// yamlScalar writes a value on one line so that YAML reads it back as it
// is: plain where that is safe, else double-quoted; a line break or a
// control character in it (a string in an expression may hold one) as a
// double-quoted escape, which YAML reads as Go writes it.
func yamlScalar(s string) string {
	if s == "" {
		return "''"
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || !unicode.IsPrint(r) && r != ' ' }) {
		return strconv.Quote(s)
	}
	if strings.ContainsAny(s[:1], "!&*[]{}|>'\"%@`#,?:-") || strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		if strings.HasPrefix(s, "${{") && !strings.Contains(s, ": ") && !strings.Contains(s, " #") {
			return s
		}
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}

// writeStep checks a credential in the job that uses it, right before its
// first login there, under that login's if:.
func (a *auditor) writeStep(r *run, p *filePlan, c *check) {
	if c.noStep {
		p.problems = appendOnce(p.problems, fmt.Sprintf("%s is not checked: %s", c.key.secret, c.stepOnly))
		return
	}
	var login *event
	for _, e := range c.uses {
		if e.kind == evLogin && e.node.file == r.root && e.node.caller == nil && (login == nil || byPlace(e, login) < 0) {
			login = e
		}
	}
	if login == nil {
		p.problems = append(p.problems, fmt.Sprintf("%s is not checked: %s, and it logs in only inside a called workflow", c.key.secret, c.stepOnly))
		return
	}
	n, s := login.node, login.step
	if sp := stepPlanOf(n, s); sp != nil && sp.cond != nil && slices.Contains(sp.cond.contexts(), "secrets") {
		p.problems = append(p.problems, fmt.Sprintf("%s is not checked: %s, and its login's if: reads secrets", c.key.secret, c.stepOnly))
		return
	}
	github := registryMatches(githubRegistry, c.key.registry)
	username := strings.TrimSpace(login.username)
	if !github && (username == "" || strings.Contains(username, "$") && !strings.Contains(username, "${{")) {
		p.problems = append(p.problems, fmt.Sprintf("%s is not checked: %s, and its username cannot be read", c.key.secret, c.stepOnly))
		return
	}
	dash := dashBefore(r.root, s.Pos)
	keys := s.Pos.Col - 1
	if dash < 0 {
		p.problems = append(p.problems, fmt.Sprintf("%s is not checked: the steps of job %s are not a block list", c.key.secret, n.id))
		return
	}
	unit := max(keys-dash, 2)
	var b strings.Builder
	line := func(indent int, format string, args ...any) {
		fmt.Fprintf(&b, "%s"+format+"\n", append([]any{strings.Repeat(" ", indent)}, args...)...)
	}
	line(dash, "-%suses: %s", strings.Repeat(" ", keys-dash-1), a.tokenGateRef())
	if sp := stepPlanOf(n, s); sp != nil && sp.cond != nil {
		line(keys, "if: %s", sp.cond.copied(r.root))
	}
	line(keys, "with:")
	line(keys+unit, "audit: off")
	packages := c.packages
	writeCheckInputs(line, keys+unit, unit, c.key, username, packages)
	e, err := insertStep(r.root, n.job, s, b.String())
	if err != nil {
		p.problems = append(p.problems, err.Error())
		return
	}
	p.edits = append(p.edits, e)
	p.steps = append(p.steps, plannedStep{job: n.id, text: b.String(), cred: c.key})
	if reason := c.stepOnly; reason != "" {
		p.caveats = appendOnce(p.caveats, fmt.Sprintf("The check of %s in job %s is no preflight, so what publishes before that job is not held back: %s.", c.key.secret, n.id, reason))
	}
}

// checkoutRef is the checkout the workflow already uses, with its comment,
// or a pinned one.
func (a *auditor) checkoutRef(f *workflow.File) string {
	for _, j := range f.Jobs {
		for _, s := range j.Steps {
			if s.Uses != nil && actionName(s.Uses.Text) == "actions/checkout" {
				return rawWithComment(f, *s.Uses)
			}
		}
	}
	return pinnedCheckout
}

// tokenGateRef is how the workflows already use token-gate, else the
// reference this build names.
func (a *auditor) tokenGateRef() string {
	for _, wf := range a.repo.Files {
		for _, j := range wf.Jobs {
			for _, s := range j.Steps {
				if s.Uses != nil && isTokenGate(s.Uses.Text, a.repo) && !strings.HasPrefix(s.Uses.Text, "docker://") {
					return rawWithComment(wf, *s.Uses)
				}
			}
		}
	}
	return a.opts.TokenGate
}

// pinsBySHA reports a file whose steps' actions (other than local ones)
// are all pinned by a full commit SHA. Reusable workflows called by a job
// are left out: some must be called by tag (SLSA's generators).
func pinsBySHA(f *workflow.File) bool {
	count := 0
	for _, j := range f.Jobs {
		refs := []*workflow.Value{}
		for _, s := range j.Steps {
			if s.Uses != nil {
				refs = append(refs, s.Uses)
			}
		}
		for _, u := range refs {
			if strings.HasPrefix(u.Text, "./") || strings.HasPrefix(u.Text, "docker://") {
				continue
			}
			_, ref, _ := strings.Cut(u.Text, "@")
			if !isSHA(ref) {
				return false
			}
			count++
		}
	}
	return count > 0
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// refVersion is what stands after @ in a uses: reference, without its
// comment.
func refVersion(ref string) string {
	_, v, _ := strings.Cut(ref, "@")
	v, _, _ = strings.Cut(v, " ")
	return v
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// unguardable are the jobs whose publishes a bad credential would leave
// behind but that run whatever came before (always()): no needs: holds
// them back.
func (a *auditor) unguardable(r *run, c *check) []*node {
	p := a.planner(r)
	var out []*node
	p.whileBad(c.key, expired, func(ran iter.Seq[*event]) {
		for e := range ran {
			top := e.node.top
			if e.kind == evPublish && top.cond != nil && top.cond.status && p.runsAfterFailure(top) && !slices.Contains(out, top) {
				out = append(out, top)
			}
		}
	})
	return sortedNodes(out)
}

func nodeIDs(nodes []*node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.id)
	}
	return out
}

// runner is the runs-on the file's jobs use most, when it is a plain
// ubuntu label; else ubuntu-latest.
func runner(f *workflow.File) string {
	count := map[string]int{}
	best := "ubuntu-latest"
	for _, j := range f.Jobs {
		if j.RunsOn == nil || j.RunsOn.Seq || j.RunsOn.Map {
			continue
		}
		label := strings.TrimSpace(j.RunsOn.Text)
		if !strings.HasPrefix(label, "ubuntu-") || strings.ContainsAny(label, "${} ") {
			continue
		}
		count[label]++
		if count[label] > count[best] {
			best = label
		}
	}
	return best
}

// placeFor is the job the preflight goes before: the first job, in file
// order, that needs it, unless a job it needs comes later; then right
// after the last of those. nil puts it first.
func placeFor(r *run, groups map[string][]*check) *workflow.Job {
	index := map[*workflow.Job]int{}
	for i, j := range r.root.Jobs {
		index[j] = i
	}
	first, lastDep := len(r.root.Jobs), -1
	for _, group := range groups {
		for _, c := range group {
			for _, g := range c.guards {
				first = min(first, index[g.job])
			}
			for _, d := range c.needs {
				lastDep = max(lastDep, index[d.job])
			}
		}
	}
	at := first
	if lastDep >= first {
		at = lastDep + 1
	}
	if at >= len(r.root.Jobs) {
		return nil
	}
	return r.root.Jobs[at]
}

// packageNeeds keeps the images named by another job's outputs that the
// check can read: the preflight needs that job, which every guarded job
// already waits for; the others are dropped.
func (a *auditor) packageNeeds(r *run, c *check) {
	var kept []string
	for _, pkg := range c.packages {
		ok := true
		var deps []*node
		for _, name := range neededJobs(pkg) {
			dep := findTop(r, name)
			if dep == nil {
				ok = false
				break
			}
			for _, g := range c.guards {
				if g == dep || !g.hasAncestor(dep) {
					ok = false
				}
			}
			deps = append(deps, dep)
		}
		if !ok {
			continue
		}
		kept = append(kept, pkg)
		for _, d := range deps {
			if !slices.Contains(c.needs, d) {
				c.needs = append(c.needs, d)
			}
		}
	}
	c.packages = kept
}

// neededJobs are the jobs whose outputs a text's expressions read.
func neededJobs(text string) []string {
	var out []string
	segs, _ := expr.Scan(text)
	for _, seg := range segs {
		if !seg.Expr {
			continue
		}
		n := exprNode(seg.Text)
		if n == nil {
			continue
		}
		for _, p := range expr.Refs(n) {
			if len(p) >= 2 && strings.EqualFold(p[0], "needs") && !slices.Contains(out, p[1]) {
				out = append(out, p[1])
			}
		}
	}
	return out
}

func findTop(r *run, id string) *node {
	for _, n := range r.top {
		if strings.EqualFold(n.job.ID, id) {
			return n
		}
	}
	return nil
}
