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

// What each step does that the rules care about: log in with a secret,
// push an image, publish something else, or check a secret with
// token-gate.

type eventKind int

const (
	evLogin eventKind = iota
	evPush
	evPublish
	evCheck
)

type event struct {
	kind  eventKind
	node  *node
	step  *workflow.Step
	place Place
	// cred is the credential logged in with, pushed with, or checked.
	cred    credKey
	hasCred bool
	// username is how a login or a check names the account, as written.
	username string
	// image is a pushed image, as the gate writes it, or "" when the
	// audit cannot name it; registry is where it goes, "" when not known.
	image    string
	registry string
	// target is what a publish publishes to.
	target string
	// packages are a check's images; auditFail is its audit: fail.
	packages      []string
	packagesPlace Place
	auditFail     bool
	usesText      string
	// gates is false for a step that may fail without failing its job.
	gates bool
	// runsAnyway is an if: under which a step runs after one before it
	// failed.
	runsAnyway bool
}

// credKey names a credential: a secret, and the registry it is for.
type credKey struct {
	secret   string // upper-cased: GitHub compares secret names without case
	registry string // the registry's host, as image.RegistryHost gives it
}

// githubRegistry is the registry a GitHub token pushes to when a check
// names none: GitHub's own.
const githubRegistry = image.GHCR

func (a *auditor) stepEvents(n *node) {
	for _, s := range n.job.Steps {
		before := len(n.events)
		switch {
		case s.Uses != nil:
			a.actionEvents(n, s)
		case s.Run != nil:
			a.runEvents(n, s)
		}
		for _, e := range n.events[before:] {
			e.node, e.step = n, s
			e.gates = !s.ContinueOnError
			e.runsAnyway = overridesNeeds(s.If)
		}
	}
}

func (a *auditor) actionEvents(n *node, s *workflow.Step) {
	uses := s.Uses.Text
	name := actionName(uses)
	switch {
	case isTokenGate(uses, a.repo):
		a.checkEvents(n, s)
	case name == loginAction:
		a.loginActionEvents(n, s)
	case name == buildPushAction:
		a.buildPushEvents(n, s)
	}
	for _, p := range publishers {
		if p.action == "" || name != strings.ToLower(p.action) {
			continue
		}
		if p.draft != "" {
			if v, ok := workflow.Lookup(s.With, p.draft); ok && strings.EqualFold(strings.TrimSpace(v.Text), "true") {
				continue
			}
		}
		if p.needs != "" {
			v, _ := workflow.Lookup(s.With, p.needs)
			if !slices.Contains(shellWords(v.Text), p.needsWord) {
				continue
			}
		}
		n.events = append(n.events, &event{kind: evPublish, target: p.target, place: a.place(n.file, s.Pos, n, s)})
	}
}

// loginActionEvents reads docker/login-action: its password's secret, its
// registry (Docker Hub by default) and its username as written.
func (a *auditor) loginActionEvents(n *node, s *workflow.Step) {
	pw, ok := workflow.Lookup(s.With, "password")
	if !ok || strings.TrimSpace(pw.Text) == "" {
		return
	}
	place := a.place(n.file, pw.Pos, n, s)
	secrets := n.secretRefs(pw.Text, s, n.contexts, 0)
	if len(secrets) == 0 {
		what := "a value written into the file, not shown here"
		if onlyExpressions(pw.Text) {
			what = clipText(pw.Text)
		}
		a.unresolved(place, "", fmt.Sprintf("%s logs in with a password that is no secret token-gate can trace (%s), so that credential is not audited.", stepWords(n, s), what))
		return
	}
	user, _ := workflow.Lookup(s.With, "username")
	regValue, hasReg := workflow.Lookup(s.With, "registry")
	for _, reg := range a.registries(n, s, regValue.Text, hasReg, "docker.io", place) {
		for _, secret := range secrets {
			n.events = append(n.events, &event{kind: evLogin, cred: credKey{strings.ToUpper(secret), reg}, hasCred: true,
				username: rawText(n.file, user), place: place, usesText: s.Uses.Text})
		}
	}
}

// registries resolves a registry as written (an expression, an env
// variable), in every context, to hosts; empty means the default.
func (a *auditor) registries(n *node, s *workflow.Step, text string, given bool, fallback string, place Place) []string {
	if !given || strings.TrimSpace(text) == "" {
		return []string{image.RegistryFromInput(fallback)}
	}
	var out []string
	for _, c := range n.contexts {
		v, ok := a.eval(n, s, c, text)
		if !ok {
			a.unresolved(place, "", fmt.Sprintf("%s logs in to a registry named by %s, which cannot be known before the run; its pushes are not matched to it.", stepWords(n, s), clipText(text)))
			return nil
		}
		if reg := image.RegistryFromInput(expr.String(v)); !slices.Contains(out, reg) {
			out = append(out, reg)
		}
	}
	return out
}

// checkEvents reads a token-gate step: the secret of token and each of
// tokens, the registry, the images of packages, and audit.
func (a *auditor) checkEvents(n *node, s *workflow.Step) {
	place := a.place(n.file, s.Pos, n, s)
	regValue, hasReg := workflow.Lookup(s.With, "registry")
	registry := githubRegistry
	if hasReg && strings.TrimSpace(regValue.Text) != "" {
		registry = image.RegistryFromInput(regValue.Text)
	}
	auditValue, _ := workflow.Lookup(s.With, "audit")
	user, _ := workflow.Lookup(s.With, "username")
	pkgValue, hasPkgs := workflow.Lookup(s.With, "packages")
	var packages []string
	pkgPlace := place
	if hasPkgs {
		pkgPlace = a.place(n.file, pkgValue.Pos, n, s)
		packages, _ = a.images(n, s, registry, pkgPlace, splitImages(pkgValue.Text))
	}
	base := event{kind: evCheck, place: place, packages: packages, packagesPlace: pkgPlace, auditFail: strings.EqualFold(strings.TrimSpace(auditValue.Text), "fail"),
		username: rawText(n.file, user), usesText: s.Uses.Text}
	var secrets []string
	if tok, ok := workflow.Lookup(s.With, "token"); ok {
		secrets = append(secrets, n.secretRefs(tok.Text, s, n.contexts, 0)...)
	}
	if lines, ok := workflow.Lookup(s.With, "tokens"); ok {
		for _, line := range strings.Split(lines.Text, "\n") {
			_, value, found := strings.Cut(line, "=")
			if found {
				secrets = append(secrets, n.secretRefs(value, s, n.contexts, 0)...)
			}
		}
	}
	if len(secrets) == 0 {
		e := base
		n.events = append(n.events, &e) // an audit-only step
		return
	}
	for _, secret := range secrets {
		e := base
		e.cred, e.hasCred = credKey{strings.ToUpper(secret), registry}, true
		n.events = append(n.events, &e)
	}
}

// buildPushEvents reads docker/build-push-action: when it pushes (push:
// true, or an expression that may be true, or outputs that push), each of
// its tags, or, for tags from docker/metadata-action, that step's images.
func (a *auditor) buildPushEvents(n *node, s *workflow.Step) {
	push, _ := workflow.Lookup(s.With, "push")
	outputs, _ := workflow.Lookup(s.With, "outputs")
	pushes := expr.HasExpr(push.Text) || strings.EqualFold(strings.TrimSpace(push.Text), "true") ||
		strings.Contains(outputs.Text, "push=true") || strings.Contains(outputs.Text, "type=registry")
	if !pushes {
		return
	}
	tags, ok := workflow.Lookup(s.With, "tags")
	if !ok {
		return
	}
	place := a.place(n.file, tags.Pos, n, s)
	var refs []string
	for _, item := range splitImages(tags.Text) {
		if id, isMeta := metadataTags(item); isMeta {
			meta := stepByID(n.job, id)
			if meta == nil || meta.Uses == nil || actionName(meta.Uses.Text) != metadataAction {
				a.unresolved(place, "", fmt.Sprintf("%s pushes the tags of step %q, which is not a docker/metadata-action step of this job; its images are not known.", stepWords(n, s), id))
				continue
			}
			imgs, _ := workflow.Lookup(meta.With, "images")
			refs = append(refs, metadataImages(imgs.Text)...)
			continue
		}
		refs = append(refs, item)
	}
	a.pushEvents(n, s, place, refs)
}

// pushEvents records a push of each image refs name (docker's home is
// Docker Hub), and one of an unknown image when some cannot be listed.
func (a *auditor) pushEvents(n *node, s *workflow.Step, place Place, refs []string) {
	imgs, unlisted := a.images(n, s, "docker.io", place, refs)
	for _, img := range imgs {
		n.events = append(n.events, &event{kind: evPush, image: img, registry: registryOf(img), place: place})
	}
	for _, ref := range unlisted {
		n.events = append(n.events, &event{kind: evPush, registry: literalRegistry(ref), place: place})
	}
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

// metadataTags reads ${{ steps.ID.outputs.tags }}.
func metadataTags(item string) (string, bool) {
	segs, err := expr.Scan(item)
	if err != nil || len(segs) != 1 || !segs[0].Expr {
		return "", false
	}
	n, err := expr.Parse(segs[0].Text)
	if err != nil {
		return "", false
	}
	if p, ok := n.(expr.Property); ok && len(p.Path) == 4 && p.Path[0] == "steps" && p.Path[2] == "outputs" && p.Path[3] == "tags" {
		return p.Path[1], true
	}
	return "", false
}

// metadataImages reads metadata-action's images as the action does: one
// entry a line (commas belong to an entry's CSV, name=IMAGE,enable=…),
// lines starting with # skipped, entries with enable=false dropped
// (docs/facts.md, "Workflows").
func metadataImages(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, enabled := "", true
		for i, field := range strings.Split(line, ",") {
			field = strings.TrimSpace(field)
			key, value, isPair := strings.Cut(field, "=")
			switch {
			case isPair && key == "name":
				name = value
			case isPair && key == "enable":
				enabled = !strings.EqualFold(strings.TrimSpace(value), "false")
			case i == 0 && !isPair:
				name = field
			}
		}
		if name != "" && enabled {
			out = append(out, name)
		}
	}
	return out
}

func stepByID(j *workflow.Job, id string) *workflow.Step {
	for _, s := range j.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// splitImages splits a list input: newlines, and commas outside ${{ }}.
func splitImages(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		depth := 0
		start := 0
		for i := 0; i < len(line); i++ {
			switch {
			case strings.HasPrefix(line[i:], "${{"):
				depth++
				i += 2
			case strings.HasPrefix(line[i:], "}}") && depth > 0:
				depth--
				i++
			case line[i] == ',' && depth == 0:
				if v := strings.TrimSpace(line[start:i]); v != "" {
					out = append(out, v)
				}
				start = i + 1
			}
		}
		if v := strings.TrimSpace(line[start:]); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// images resolves image references in every context of the job, and
// normalises each as the gate normalises packages (image.Parse, one home
// for that rule): OWNER/NAME is on home, docker.io for what docker pushes.
// A reference that cannot be known before the run is kept as written and
// reported.
//
// unlisted are the references it cannot list: the credential pushes
// something more than out says.
func (a *auditor) images(n *node, s *workflow.Step, home string, place Place, refs []string) (out, unlisted []string) {
	add := func(img string) {
		if !slices.Contains(out, img) {
			out = append(out, img)
		}
	}
	// addName adds a name known in full, or says it is no image reference.
	addName := func(ref string) {
		if img, ok := a.normalise(ref, home); ok {
			add(img)
			return
		}
		unlisted = append(unlisted, ref)
		a.unresolved(place, "", fmt.Sprintf("%s names %s, which is not an image reference token-gate can read.", stepWords(n, s), clipText(ref)))
	}
	for _, ref := range refs {
		ref = strings.TrimPrefix(strings.TrimSpace(ref), "docker://")
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
				a.unresolved(place, "", fmt.Sprintf("%s pushes %s, a name the shell builds at run time; it is not matched to a check.", stepWords(n, s), clipText(ref)))
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
		for _, c := range n.contexts {
			var unknown []string
			text, _ := a.template(ref).Interpolate(a.lookup(n, s, c), func(e string) string {
				unknown = append(unknown, e)
				return "\x00"
			})
			repo := stripTag(text)
			if strings.Contains(repo, "\x00") {
				unlisted = append(unlisted, ref)
				a.unresolved(place, "", fmt.Sprintf("%s names an image by %s, which is not a matrix value or anything else known before the run; that image is not listed.",
					stepWords(n, s), "${{ "+unknown[0]+" }}"))
				break
			}
			addName(repo)
		}
	}
	sort.Strings(out)
	return out, unlisted
}

// shellExpand replaces $NAME and ${NAME} by the env in scope.
func (a *auditor) shellExpand(n *node, s *workflow.Step, ref string) (string, bool) {
	out := ref
	for _, name := range shellVars(ref) {
		v, ok := n.envValue(s, name)
		if !ok {
			return ref, false
		}
		out = strings.ReplaceAll(out, "${"+name+"}", v.Text)
		out = strings.ReplaceAll(out, "$"+name, v.Text)
	}
	return out, true
}

// stripTag drops a reference's tag or digest, which may be an expression:
// push rights belong to the repository.
func stripTag(ref string) string {
	if at := strings.Index(ref, "@"); at >= 0 {
		ref = ref[:at]
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash && slash >= 0 || colon > 0 && slash < 0 {
		ref = ref[:colon]
	}
	return ref
}

// normalise parses a reference as the gate does and writes it as the gate
// writes it. A matrix asks the same names again and again, so the answers
// are kept.
func (a *auditor) normalise(ref, home string) (string, bool) {
	key := home + " " + ref
	if r, ok := a.names[key]; ok {
		return r.image, r.ok
	}
	img, err := image.Parse(strings.ToLower(ref), image.RegistryFromInput(home))
	r := parsedName{ok: err == nil}
	if r.ok {
		r.image = img.String()
	}
	a.names[key] = r
	return r.image, r.ok
}

type parsedName struct {
	image string
	ok    bool
}

// runEvents reads a run: script's logins, pushes and publishes.
func (a *auditor) runEvents(n *node, s *workflow.Step) {
	cmds, ok := a.scripts[s.Run.Text]
	if !ok {
		// A matrix runs the same script in every combination; a script
		// that names none of the tables' commands is not split at all.
		if mentionsACommand(s.Run.Text) {
			cmds = commands(s.Run.Text)
		}
		a.scripts[s.Run.Text] = cmds
	}
	for _, cmd := range cmds {
		place := a.place(n.file, s.Run.At(cmd.offset), n, s)
		for _, lc := range loginCommands {
			if matches(cmd.words, lc.words) {
				a.runLogin(n, s, cmd, lc.words, lc.defaultRegistry, place)
			}
		}
		for _, pc := range pushCommands {
			if matches(cmd.words, pc.words) {
				a.runPush(n, s, cmd, len(pc.words), pc.image, place)
			}
		}
		if hasFlag(cmd.words, "--dry-run") {
			continue
		}
		for _, p := range publishers {
			if len(p.run) == 0 || !matches(cmd.words, p.run) || p.draft != "" && hasFlag(cmd.words, p.draft) {
				continue
			}
			n.events = append(n.events, &event{kind: evPublish, target: p.target, place: place})
		}
	}
}

// runLogin reads `docker login [-u U] [-p P | --password-stdin] [SERVER]`
// and its kin: the secret is in the command, or in the pipeline that feeds
// it, directly or through env.
func (a *auditor) runLogin(n *node, s *workflow.Step, cmd command, prefix []string, fallback string, place Place) {
	server := args(cmd.words, len(prefix))
	registry := fallback
	if len(server) > 0 {
		registry = server[0]
	}
	if registry == "" {
		return
	}
	var words []string
	for _, c := range cmd.pipeline {
		words = append(words, c.words...)
	}
	secrets := n.secretRefs(strings.Join(words, " "), s, n.contexts, 0)
	if len(secrets) == 0 {
		a.unresolved(place, "", fmt.Sprintf("%s runs %s with a password token-gate cannot trace to a secret, so that credential is not audited.", stepWords(n, s), strings.Join(prefix, " ")))
		return
	}
	user := ""
	if u := flagValues(cmd.words, "-u", "--username"); len(u) > 0 {
		user = u[0]
	}
	regs := a.registries(n, s, a.shellOrSelf(n, s, registry), true, fallback, place)
	for _, reg := range regs {
		for _, secret := range secrets {
			n.events = append(n.events, &event{kind: evLogin, cred: credKey{strings.ToUpper(secret), reg}, hasCred: true, username: user, place: place})
		}
	}
}

func (a *auditor) shellOrSelf(n *node, s *workflow.Step, word string) string {
	if out, ok := a.shellExpand(n, s, word); ok {
		return out
	}
	return word
}

// runPush reads the image a push command pushes.
func (a *auditor) runPush(n *node, s *workflow.Step, cmd command, skip int, which string, place Place) {
	var refs []string
	switch which {
	case "first", "last":
		rest := args(cmd.words, skip)
		if len(rest) == 0 {
			return
		}
		ref := rest[0]
		if which == "last" {
			ref = rest[len(rest)-1]
		}
		refs = []string{ref}
	case "tags":
		if !hasFlag(cmd.words, "--push") && !strings.Contains(strings.Join(flagValues(cmd.words, "--output", "-o"), ","), "type=registry") {
			return
		}
		refs = flagValues(cmd.words, "-t", "--tag")
	case "bake":
		if hasFlag(cmd.words, "--push") {
			a.unresolved(place, "", fmt.Sprintf("%s runs docker buildx bake --push, whose images are named in a bake file token-gate does not read.", stepWords(n, s)))
		}
		return
	}
	a.pushEvents(n, s, place, refs)
}

// rawText is a scalar as it is written in the file, for copying into the
// fix: an expression keeps its ${{ }}, a quoted value its quotes.
func rawText(f *workflow.File, v workflow.Value) string {
	if v.Text == "" && v.Raw == nil {
		return ""
	}
	if v.Style == workflow.Block || v.Seq || v.Map {
		return v.Text
	}
	line := f.Line(v.Pos.Line)
	start := f.Offset(v.Pos) - f.Offset(workflow.Pos{Line: v.Pos.Line, Col: 1})
	if start < 0 || start > len(line) {
		return v.Text
	}
	return strings.TrimSpace(stripComment(line[start:]))
}

func stepWords(n *node, s *workflow.Step) string {
	return fmt.Sprintf("step %q of job %s", s.Label(), n.id)
}

// onlyExpressions reports text that is nothing but ${{ }} expressions:
// safe to quote, where a literal password is not.
func onlyExpressions(text string) bool {
	segs, err := expr.Scan(text)
	if err != nil {
		return false
	}
	for _, seg := range segs {
		if !seg.Expr && strings.TrimSpace(seg.Text) != "" {
			return false
		}
	}
	return len(segs) > 0
}

func clipText(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…" // whole characters: the text goes into JSON
	}
	return s
}
