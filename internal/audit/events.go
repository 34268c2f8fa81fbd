package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/workflow"
)

// What each step does that the rules care about: log in with a secret, push
// an image, publish something else, check a secret with token-gate, or
// something that looks like a publish nobody knows.

type eventKind int

const (
	evLogin eventKind = iota
	evPush
	evPublish
	evCheck
	evMaybe // a step that may push or publish, which no recogniser knows
)

type event struct {
	kind eventKind
	node *node
	step *workflow.Step
	// idx numbers the event in its run's planner, for outcomes.
	idx   int
	place Place
	// cred is the credential logged in with, pushed with, or checked.
	cred    credKey
	hasCred bool
	// username is how a login or a check names the account, as written,
	// with the step it was written in (for its env and its file).
	username string
	// when is an extra condition the event needs beyond its step's if:
	// build-push-action's push: ${{ … }}.
	when *condition
	// image is a pushed image, as the gate writes it, or "" when the
	// audit cannot name it; template is its name with the expressions
	// only the runner can fill (${{ github.repository }}); registry is
	// where it goes, "" when not known.
	image, template, registry string
	// publish says what a publish publishes: its kind for JSON, its
	// target for people; secret is the root name of its own credential.
	publishKind, target, secret string
	// packages are a check's images; passesEmpty that an empty token
	// does not fail it (on-missing).
	packages      []string
	packagesPlace Place
	passesEmpty   bool
	// exchanged says why token-gate cannot check a login's credential.
	exchanged string
	// maybe marks a push that a command nobody knows may make after a
	// login: its image is not known.
	maybe bool
	// tokenless marks a token-gate step given no token at all; keyless a
	// login with no secret (an OIDC login).
	tokenless, keyless bool
}

// credKey names a credential: a secret, and the registry it is for.
type credKey struct {
	secret   string // upper-cased: GitHub compares secret names without case
	registry string // the registry's host, as image.RegistryHost gives it
}

// githubRegistry is the registry a GitHub token pushes to when a check
// names none: GitHub's own.
const githubRegistry = image.GHCR

// anyRegistry is a check's registry given as an expression the audit
// cannot read: the check counts for its secret at any registry.
const anyRegistry = "*"

// registryMatches reports whether a check of one registry covers a use of
// another: the same host, or, for a check of GitHub's registry (no
// registry input), any GitHub registry (ghcr.io, containers.HOST).
func registryMatches(checked, used string) bool {
	if checked == used || checked == anyRegistry {
		return true
	}
	return checked == githubRegistry && strings.HasPrefix(used, "containers.")
}

func (k credKey) matches(other credKey) bool {
	return k.secret == other.secret && registryMatches(k.registry, other.registry)
}

func (a *auditor) stepEvents(n *node) {
	for _, s := range n.job.Steps {
		if a.neverRuns(n, s) {
			continue // what a step never does, it never does
		}
		before := len(n.events)
		switch {
		case s.Uses != nil:
			a.actionEvents(n, s)
		case s.Run != nil:
			a.runEvents(n, s)
		}
		for _, e := range n.events[before:] {
			e.node, e.step = n, s
		}
	}
	if n.job.Uses != nil {
		a.reusableEvents(n)
	}
	a.attribute(n)
}

func (a *auditor) actionEvents(n *node, s *workflow.Step) {
	uses := s.Uses.Text
	name := actionName(uses)
	known := false
	switch {
	case isTokenGate(uses, a.repo):
		a.checkEvents(n, s)
		return
	case subAction(uses) && (slices.Contains(buildPushActions, name) || slices.Contains(bakeActions, name)):
		known = true // a helper beside the action (bake's matrix), which pushes nothing
	case slices.Contains(buildPushActions, name):
		a.buildPushEvents(n, s)
		known = true
	case slices.Contains(bakeActions, name):
		a.bakeEvents(n, s)
		known = true
	case name == pushToRegistry:
		a.pushToRegistryEvents(n, s)
		known = true
	case slices.Contains(metadataActions, name), slices.Contains(quietActions, name):
		known = true
	case strings.HasPrefix(uses, "./"):
		known = a.localActionEvents(n, s)
	}
	for _, l := range registryLogins {
		if l.action != "" && name == strings.ToLower(l.action) {
			a.loginActionEvents(n, s, l)
			known = true
		}
	}
	for _, p := range publishers {
		if p.action == "" || name != strings.ToLower(p.action) {
			continue
		}
		known = true
		if a.actionPublishes(n, s, p) {
			n.events = append(n.events, &event{kind: evPublish, publishKind: p.kind, target: p.target, secret: a.inputSecret(n, s, p.secret), place: a.place(n.file, s.Pos, n, s)})
			if p.target == "a goreleaser release" {
				a.goreleaserPushes(n, s)
			}
		}
	}
	if !known {
		a.unknownAction(n, s)
	}
}

// actionPublishes reads a publisher's inputs in every leg: it publishes
// unless an input says it does not (draft: true, --snapshot in args), and,
// where it needs one, only when its input says it does.
func (a *auditor) actionPublishes(n *node, s *workflow.Step, p publisher) bool {
	for _, l := range n.legs {
		values := func(name string) (string, bool) {
			v, ok := workflow.Lookup(s.With, name)
			if !ok {
				return "", false
			}
			if got, known := a.eval(n, s, l, v.Text); known {
				return expr.String(got), true
			}
			return v.Text, true // unknown: kept as written, never a match
		}
		if p.only != "" {
			v, ok := values(p.only)
			if !ok || p.onlyWord != "" && !slices.Contains(shellWords(v), p.onlyWord) {
				continue
			}
		}
		not := false
		for _, x := range p.not {
			input, want, pair := strings.Cut(x, "=")
			switch {
			case strings.HasPrefix(x, "--"):
				for _, w := range s.With {
					v, _ := values(w.Name)
					if slices.ContainsFunc(shellWords(v), func(word string) bool { return word == x || strings.HasPrefix(word, x+"=") }) {
						not = true
					}
				}
			case pair:
				v, _ := values(input)
				not = not || strings.Contains(v, want)
			default:
				v, _ := values(input)
				not = not || strings.EqualFold(strings.TrimSpace(v), "true")
			}
		}
		if !not {
			return true
		}
	}
	return false
}

// inputSecret is the root name of the secret an action's input reads.
func (a *auditor) inputSecret(n *node, s *workflow.Step, input string) string {
	if input == "" {
		return ""
	}
	v, ok := workflow.Lookup(s.With, input)
	if !ok {
		return ""
	}
	if refs := n.secretRefs(v.Text, s, 0); len(refs) > 0 {
		return refs[0]
	}
	return ""
}

// loginActionEvents reads a login action: its password's secret, its
// registry (the action's home without one) and its username as written.
func (a *auditor) loginActionEvents(n *node, s *workflow.Step, l registryLogin) {
	place := a.place(n.file, s.Pos, n, s)
	if l.exchanged != "" {
		a.ecrLoginEvents(n, s, place, l)
		return
	}
	pw, ok := workflow.Lookup(s.With, l.password)
	if !ok || strings.TrimSpace(pw.Text) == "" {
		if auth, ok := workflow.Lookup(s.With, "registry-auth"); ok && strings.TrimSpace(auth.Text) != "" {
			a.registryAuthEvents(n, s, auth)
			return
		}
		// No password: a keyless login (Docker Hub's OIDC login, in
		// docker/login-action v4.5+). Its pushes have a login, and no
		// secret to check (docs/facts.md, "docker/login-action").
		regValue, hasReg := workflow.Lookup(s.With, l.registry)
		for _, reg := range a.registries(n, s, regValue.Text, hasReg, l.home, place) {
			n.events = append(n.events, &event{kind: evLogin, cred: credKey{registry: reg}, place: place, keyless: true})
		}
		return
	}
	place = a.place(n.file, pw.Pos, n, s)
	secrets := n.secretRefs(pw.Text, s, 0)
	if len(secrets) == 0 {
		what := "a value written into the file, not shown here"
		if onlyExpressions(pw.Text) {
			what = clipText(pw.Text)
		}
		a.unresolved(place, "", fmt.Sprintf("%s logs in with a password that is no secret token-gate can trace (%s), so that credential is not audited.", stepWords(n, s), what))
		return
	}
	user, _ := workflow.Lookup(s.With, l.username)
	regValue, hasReg := workflow.Lookup(s.With, l.registry)
	home := l.home
	if name := actionName(s.Uses.Text); name == "docker/login-action" {
		if ecr, ok := workflow.Lookup(s.With, "ecr"); ok && strings.EqualFold(strings.TrimSpace(ecr.Text), "true") {
			for _, reg := range a.registries(n, s, regValue.Text, hasReg, home, place) {
				a.exchangedLogin(n, s, place, secrets, reg, loginUser(user), "AWS credentials, which docker/login-action trades with the ECR API (ecr: true)")
			}
			return
		}
	}
	// A password chosen by a condition (cond && secrets.A || secrets.B)
	// is each secret under its own condition, with the username chosen
	// alike.
	if alts := choices(pw.Text); len(alts) > 1 {
		users := choices(user.Text)
		for _, reg := range a.registries(n, s, regValue.Text, hasReg, home, place) {
			for i, alt := range alts {
				altSecrets := n.secretRefs("${{ "+expr.Format(alt.value)+" }}", s, 0)
				if len(altSecrets) == 0 {
					continue
				}
				username := loginUser(user)
				if len(users) == len(alts) && expr.Format(users[i].cond) == expr.Format(alt.cond) {
					username = choiceText(users[i].value)
				}
				before := len(n.events)
				a.exchangedLogin(n, s, place, altSecrets, reg, username, exchangedRegistry(reg, username))
				for _, e := range n.events[before:] {
					e.when = a.condOf(alt.cond)
				}
			}
		}
		return
	}
	for _, reg := range a.registries(n, s, regValue.Text, hasReg, home, place) {
		why := exchangedRegistry(reg, loginUser(user))
		a.exchangedLogin(n, s, place, secrets, reg, loginUser(user), why)
	}
}

// choice is one value an expression may take, and when.
type choice struct {
	cond, value expr.Node
}

// choices reads GitHub's conditional idiom, A && X || B && Y || Z, in a
// value that is one expression: X when A, Y when !A && B, Z otherwise.
// Anything else is one choice, always.
func choices(text string) []choice {
	x, ok := soleExpr(strings.TrimSpace(text))
	if !ok {
		return nil
	}
	var out []choice
	var prior expr.Node
	n := exprNode(x)
	for {
		or, ok := n.(expr.Binary)
		if !ok || or.Op != "||" {
			break
		}
		and, ok := or.L.(expr.Binary)
		if !ok || and.Op != "&&" {
			break
		}
		out = append(out, choice{cond: andNode(prior, and.L), value: and.R})
		prior = andNode(prior, expr.Not{X: and.L})
		n = or.R
	}
	if len(out) == 0 {
		return nil
	}
	return append(out, choice{cond: prior, value: n})
}

func andNode(a, b expr.Node) expr.Node {
	if a == nil {
		return b
	}
	return expr.Binary{Op: "&&", L: a, R: b}
}

// choiceText writes a choice's value as a with: value: a string literal
// as itself, anything else as an expression.
func choiceText(n expr.Node) string {
	if lit, ok := n.(expr.Literal); ok {
		if s, ok := lit.Value.(string); ok {
			return s
		}
	}
	return "${{ " + expr.Format(n) + " }}"
}

// condOf makes a condition of an expression the audit composed.
func (a *auditor) condOf(n expr.Node) *condition {
	if n == nil {
		return nil
	}
	text := "${{ " + expr.Format(n) + " }}"
	return &condition{value: workflow.Value{Text: text}, node: expr.KeyLeaves(n), status: expr.HasStatus(n)}
}

// andCond is both conditions.
func (a *auditor) andCond(x, y *condition) *condition {
	switch {
	case x == nil:
		return y
	case y == nil:
		return x
	}
	return a.condOf(expr.Binary{Op: "&&", L: x.node, R: y.node})
}

// exchangedLogin records a login with each secret; exchanged, when set,
// says why token-gate cannot check it, once.
func (a *auditor) exchangedLogin(n *node, s *workflow.Step, place Place, secrets []string, reg, user, exchanged string) {
	if exchanged != "" {
		a.cannotCheck(n, s, place, secrets[0], reg, exchanged)
	}
	for _, secret := range secrets {
		n.events = append(n.events, &event{kind: evLogin, cred: credKey{strings.ToUpper(secret), reg}, hasCred: true, username: user, place: place, exchanged: exchanged})
	}
}

// ecrLoginEvents reads aws-actions/amazon-ecr-login: its credential is
// the AWS secret key an earlier aws-actions/configure-aws-credentials step
// of the job was given (none with a role: that is short-lived), for ECR
// Public or the registries it names.
func (a *auditor) ecrLoginEvents(n *node, s *workflow.Step, place Place, l registryLogin) {
	var secrets []string
	for _, prior := range n.job.Steps {
		if prior.Index >= s.Index || prior.Uses == nil || actionName(prior.Uses.Text) != "aws-actions/configure-aws-credentials" {
			continue
		}
		if key, ok := workflow.Lookup(prior.With, "aws-secret-access-key"); ok {
			secrets = n.secretRefs(key.Text, prior, 0)
		}
	}
	if len(secrets) == 0 {
		return // a role assumed through OIDC: nothing long-lived to check
	}
	regs := []string{}
	if kind, _ := workflow.Lookup(s.With, "registry-type"); strings.EqualFold(strings.TrimSpace(kind.Text), "public") {
		regs = append(regs, "public.ecr.aws")
	} else if ids, ok := workflow.Lookup(s.With, "registries"); ok {
		for _, id := range config.SplitList(ids.Text) {
			regs = append(regs, id+".dkr.ecr.amazonaws.com")
		}
	}
	for _, reg := range regs {
		a.exchangedLogin(n, s, place, secrets, image.RegistryFromInput(reg), "AWS", l.exchanged)
	}
}

// registryAuthEvents reads docker/login-action's registry-auth (v3.6.0+),
// a YAML list of registry, username and password: credentials too
// (docs/facts.md, "docker/login-action").
func (a *auditor) registryAuthEvents(n *node, s *workflow.Step, auth workflow.Value) {
	place := a.place(n.file, auth.Pos, n, s)
	secrets := n.secretRefs(auth.Text, s, 0)
	if len(secrets) == 0 {
		return
	}
	a.unresolved(place, "", fmt.Sprintf("%s logs in through registry-auth with %s; token-gate does not read that list's registries, so those credentials are not matched to their pushes.", stepWords(n, s), strings.Join(secrets, ", ")))
}

// exchangedRegistry says why a registry's password is not the registry's
// own: an ECR host takes AWS keys through the ECR API, and _json_key is a
// Google service account key (docs/facts.md, "Credentials token-gate cannot
// check"); "" otherwise.
func exchangedRegistry(registry, username string) string {
	host := strings.ToLower(registry)
	switch {
	case host == "public.ecr.aws" || strings.Contains(host, ".dkr.ecr.") && strings.HasSuffix(host, ".amazonaws.com"):
		return "AWS credentials, which docker/login-action trades with the ECR API for a registry password"
	case strings.Contains(username, "_json_key"):
		return "a Google Cloud service account key (_json_key)"
	case strings.HasSuffix(host, ".azurecr.io"):
		return "an Azure service principal or token, whose rights Azure decides"
	}
	return ""
}

// registries resolves a registry as written (an expression, an env
// variable), in every leg, to hosts; empty means the default.
func (a *auditor) registries(n *node, s *workflow.Step, text string, given bool, fallback string, place Place) []string {
	if !given || strings.TrimSpace(text) == "" {
		if fallback == "" {
			return nil
		}
		return []string{image.RegistryFromInput(fallback)}
	}
	var out []string
	for _, l := range n.legs {
		v, ok := a.eval(n, s, l, text)
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

// checkEvents reads a token-gate step with config's own reading of its
// inputs: the secret of token and of each tokens line, the registry, the
// images of packages, audit and on-missing.
func (a *auditor) checkEvents(n *node, s *workflow.Step) {
	place := a.place(n.file, s.Pos, n, s)
	input := func(name string) (workflow.Value, bool) { return workflow.Lookup(s.With, name) }
	regValue, hasReg := input(config.InRegistry)
	registry := githubRegistry
	if hasReg && strings.TrimSpace(regValue.Text) != "" {
		registry = anyRegistry // known only at run time: it checks its secret wherever
		if v, ok := a.eval(n, s, leg{}, regValue.Text); ok && len(n.legs) <= 1 {
			registry = image.RegistryFromInput(expr.String(v))
		} else if !expr.HasExpr(regValue.Text) {
			registry = image.RegistryFromInput(regValue.Text)
		}
	}
	missing, _ := input(config.InOnMissing)
	user, _ := input(config.InUsername)
	pkgValue, hasPkgs := input(config.InPackages)
	var packages []string
	pkgPlace := place
	if hasPkgs {
		pkgPlace = a.place(n.file, pkgValue.Pos, n, s)
		home := registry
		if home == "" {
			home = githubRegistry
		}
		imgs, _, templates := a.images(n, s, home, pkgPlace, config.SplitList(pkgValue.Text))
		packages = append(imgs, templates...)
	}
	base := event{kind: evCheck, place: place, packages: packages, packagesPlace: pkgPlace,
		passesEmpty: slices.Contains([]string{"warn", "skip"}, strings.ToLower(strings.TrimSpace(missing.Text))),
		username:    loginUser(user)}
	var secrets []string
	if tok, ok := input(config.InToken); ok {
		secrets = append(secrets, n.secretRefs(tok.Text, s, 0)...)
	}
	if lines, ok := input(config.InTokens); ok {
		for _, l := range config.TokenLines(lines.Text) {
			if l.HasEquals {
				secrets = append(secrets, n.secretRefs(l.Value, s, 0)...)
			}
		}
	}
	if len(secrets) == 0 {
		e := base
		tok, _ := input(config.InToken)
		lines, _ := input(config.InTokens)
		e.tokenless = strings.Trim(strings.TrimSpace(tok.Text), `'"`) == "" && len(config.TokenLines(lines.Text)) == 0
		n.events = append(n.events, &e) // an audit-only step, or one the audit cannot place
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
// its tags, or, for tags from docker/metadata-action, that step's images;
// outputs that name the image; a registry cache, which the login's
// credential writes too.
func (a *auditor) buildPushEvents(n *node, s *workflow.Step) {
	push, _ := workflow.Lookup(s.With, "push")
	outputs, _ := workflow.Lookup(s.With, "outputs")
	var when *condition
	pushes := strings.EqualFold(strings.TrimSpace(push.Text), "true") || outputPushes(outputs.Text)
	if !pushes && expr.HasExpr(push.Text) {
		pushes, when = true, a.readCond(&push)
	}
	if cache, ok := workflow.Lookup(s.With, "cache-to"); ok {
		for _, ref := range registryCacheRefs(cache.Text) {
			a.pushEvents(n, s, a.place(n.file, cache.Pos, n, s), []string{ref}, nil)
		}
	}
	if !pushes {
		return
	}
	var refs []string
	place := a.place(n.file, s.Pos, n, s)
	if tags, ok := workflow.Lookup(s.With, "tags"); ok {
		place = a.place(n.file, tags.Pos, n, s)
		refs = append(refs, tagRefs(n.job, tags.Text)...)
	}
	refs = append(refs, outputNames(outputs.Text)...)
	if len(refs) == 0 {
		refs = []string{""} // pushes, but names nothing the audit can read
	}
	a.pushEvents(n, s, place, refs, when)
}

// tagRefs reads a tags input: each tag, or, for ${{ steps.ID.outputs.tags }}
// of a metadata-action step, that step's images.
func tagRefs(j *workflow.Job, text string) []string {
	var refs []string
	for _, item := range config.SplitList(text) {
		id, isOutput := stepOutput(item, "tags")
		if !isOutput {
			refs = append(refs, item)
			continue
		}
		imgs, ok := metadataStepImages(j, id)
		if !ok {
			refs = append(refs, "") // a run: step's output, say: not known before the run
			continue
		}
		refs = append(refs, imgs...)
	}
	return refs
}

// metadataStepImages are the images of the job's step id, when that step
// is a metadata-action.
func metadataStepImages(j *workflow.Job, id string) ([]string, bool) {
	meta := stepByID(j, id)
	if meta == nil || meta.Uses == nil || !slices.Contains(metadataActions, actionName(meta.Uses.Text)) {
		return nil, false
	}
	imgs, _ := workflow.Lookup(meta.With, "images")
	return metadataImages(imgs.Text), true
}

// outputPushes reads build-push-action's outputs: type=registry, or an
// image output with push=true.
func outputPushes(text string) bool {
	for _, out := range strings.Split(text, "\n") {
		fields := csvFields(out)
		if fields["type"] == "registry" || fields["type"] == "image" && strings.EqualFold(fields["push"], "true") {
			return true
		}
	}
	return false
}

// outputNames are the image names an outputs line gives (name=…).
func outputNames(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		fields := csvFields(line)
		if (fields["type"] == "registry" || fields["type"] == "image") && fields["name"] != "" {
			out = append(out, strings.Split(fields["name"], ",")...)
		}
	}
	return out
}

// registryCacheRefs are the refs of a registry cache (type=registry,ref=…):
// a push with the login's credential.
func registryCacheRefs(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		fields := csvFields(line)
		if fields["type"] == "registry" && fields["ref"] != "" {
			out = append(out, fields["ref"])
		}
	}
	return out
}

// csvFields reads key=value,key=value; a name's quoted commas stay.
func csvFields(line string) map[string]string {
	out := map[string]string{}
	line = strings.TrimSpace(line)
	var fields []string
	start, quote := 0, false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '"':
			quote = !quote
		case line[i] == ',' && !quote:
			fields = append(fields, line[start:i])
			start = i + 1
		}
	}
	fields = append(fields, line[start:])
	for _, f := range fields {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if ok {
			out[strings.ToLower(k)] = strings.Trim(v, `"`)
		}
	}
	return out
}

// bakeEvents reads docker/bake-action: with push: true (or set *.output
// that pushes), its images come from a bake file the audit does not read;
// *.tags set in the step are read.
func (a *auditor) bakeEvents(n *node, s *workflow.Step) {
	push, _ := workflow.Lookup(s.With, "push")
	set, _ := workflow.Lookup(s.With, "set")
	var when *condition
	pushes := strings.EqualFold(strings.TrimSpace(push.Text), "true") || strings.Contains(set.Text, "type=registry") || strings.Contains(set.Text, "push=true")
	if !pushes && expr.HasExpr(push.Text) {
		pushes, when = true, a.readCond(&push)
	}
	if !pushes {
		return
	}
	place := a.place(n.file, s.Pos, n, s)
	var refs []string
	for _, line := range strings.Split(set.Text, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.HasSuffix(key, ".tags") {
			refs = append(refs, tagRefs(n.job, value)...)
		}
	}
	// A bake file that metadata-action writes names that step's images.
	files, _ := workflow.Lookup(s.With, "files")
	for _, item := range config.SplitList(files.Text) {
		for _, out := range []string{"bake-file", "bake-file-tags"} {
			if id, ok := stepOutput(item, out); ok {
				imgs, _ := metadataStepImages(n.job, id)
				refs = append(refs, imgs...)
			}
		}
	}
	if len(refs) == 0 {
		refs = []string{""}
		a.unresolved(place, "", fmt.Sprintf("%s pushes the targets of a bake file, which token-gate does not read; the images it pushes are not listed.", stepWords(n, s)))
	}
	a.pushEvents(n, s, place, refs, when)
}

// pushToRegistryEvents reads redhat-actions/push-to-registry: image, tags
// and registry, with its own username and password when given.
func (a *auditor) pushToRegistryEvents(n *node, s *workflow.Step) {
	img, _ := workflow.Lookup(s.With, "image")
	reg, _ := workflow.Lookup(s.With, "registry")
	place := a.place(n.file, s.Pos, n, s)
	if pw, ok := workflow.Lookup(s.With, "password"); ok {
		a.loginActionEvents(n, s, registryLogin{password: "password", username: "username", registry: "registry"})
		place = a.place(n.file, pw.Pos, n, s)
	}
	// Push rights belong to the repository: its tags name no other.
	a.pushEvents(n, s, place, []string{strings.TrimSuffix(reg.Text, "/") + "/" + img.Text}, nil)
}

// localActionEvents reads a local composite action (uses: ./path): its
// steps' logins and pushes, as if they were the job's, with its inputs
// bound to the step's with:. It reports whether the action was read.
func (a *auditor) localActionEvents(n *node, s *workflow.Step) bool {
	act := a.repo.Action(s.Uses.Text)
	if _, refused := a.repo.Refusal(s.Uses.Text); act == nil && refused {
		a.add(Finding{Code: CodeUnresolved, Severity: Notice, Place: a.place(n.file, s.Uses.Pos, n, s),
			Message: fmt.Sprintf("%s uses %s, a local action outside the repository: token-gate does not read it, so what it pushes or publishes is not audited.", stepWords(n, s), clipText(s.Uses.Text)),
			Fix:     "Check by hand what that action does with the secrets it is given."})
		return true
	}
	if act == nil || len(act.Steps) == 0 {
		return false
	}
	sub := &workflow.Job{ID: n.job.ID, Steps: act.Steps, Env: n.job.Env}
	inner := &node{id: n.id, file: act.File, job: sub, top: n.top, caller: n.caller, secrets: n.secrets, outer: n, outerStep: s}
	defaults := map[string]any{}
	for _, w := range act.Inputs {
		if w.Value.Text != "" {
			defaults[strings.ToLower(w.Name)] = w.Value.Raw
		}
	}
	for _, l := range n.legs {
		inner.legs = append(inner.legs, leg{matrix: l.matrix, inputs: a.bindInputs(n, s, l, defaults, s.With)})
	}
	inner.legs = dedupeLegs(inner.legs)
	// The action reads its inputs as inputs.X; secrets reach it only
	// through them, so what the step passes is what it reads.
	for _, as := range act.Steps {
		switch {
		case as.Uses != nil && localKeyOf(as.Uses.Text) == localKeyOf(s.Uses.Text):
			// an action that uses itself: nothing more to read
		case as.Uses != nil:
			a.actionEvents(inner, as)
		case as.Run != nil:
			a.runEvents(inner, as)
		}
	}
	// What the action's steps do, the step that uses it does, at its
	// place; a username given as an input is the step's with: value.
	for _, e := range inner.events {
		e.node, e.step = n, s
		e.place = a.place(n.file, s.Pos, n, s)
		if e.hasCred {
			// Where the step hands the action that secret: its with:.
			for _, w := range s.With {
				if slices.ContainsFunc(n.secretRefs(w.Value.Text, s, 0), func(r string) bool { return strings.EqualFold(r, e.cred.secret) }) {
					e.place = a.place(n.file, w.Value.Pos, n, s)
					break
				}
			}
		}
		if name, ok := inputRef(e.username); ok {
			if v, found := workflow.Lookup(s.With, name); found {
				e.username = loginUser(v)
			}
		}
		n.events = append(n.events, e)
	}
	return true
}

// reusableEvents reads a call of a known reusable workflow of another
// repository (SLSA's generators): what it publishes.
func (a *auditor) reusableEvents(n *node) {
	r := knownReusable(n)
	if r == nil {
		return
	}
	if r.when != "" {
		v, ok := workflow.Lookup(n.job.With, r.when)
		if !ok || !strings.EqualFold(strings.TrimSpace(v.Text), "true") {
			return
		}
	}
	var secret string
	for _, s := range n.job.Secrets {
		if refs := n.secretRefs(s.Value.Text, nil, 0); len(refs) > 0 && strings.Contains(strings.ToLower(s.Name), "password") {
			secret = refs[0]
		}
	}
	n.events = append(n.events, &event{kind: evPublish, publishKind: r.kind, target: r.target, secret: secret, place: a.place(n.file, n.job.Uses.Pos, n, nil)})
}

type reusable = struct {
	prefix string
	kind   string
	target string
	when   string
}

func knownReusable(n *node) *reusable {
	ref, _, _ := strings.Cut(n.job.Uses.Text, "@")
	for i := range knownReusableWorkflows {
		if strings.EqualFold(knownReusableWorkflows[i].prefix, ref) {
			return &knownReusableWorkflows[i]
		}
	}
	return nil
}

// unknownAction says, once, that a step passes a secret to an action
// nobody knows through an input named like a credential: it may push or
// publish with it.
func (a *auditor) unknownAction(n *node, s *workflow.Step) {
	for _, w := range s.With {
		if !credentialLike(w.Name) {
			continue
		}
		refs := n.secretRefs(w.Value.Text, s, 0)
		refs = slices.DeleteFunc(refs, func(r string) bool { return r == "GITHUB_TOKEN" })
		if len(refs) == 0 {
			continue
		}
		place := a.place(n.file, w.Value.Pos, n, s)
		n.events = append(n.events, &event{kind: evMaybe, place: place, target: actionName(s.Uses.Text), secret: refs[0]})
		a.add(Finding{Code: CodeUnrecognised, Severity: Notice, Place: place, Secret: refs[0],
			Message: fmt.Sprintf("%s passes %s to %s's input %s; token-gate does not know that action, so if it pushes or publishes with it, that is not audited.",
				stepWords(n, s), refs[0], clipText(actionName(s.Uses.Text)), w.Name),
			Fix: "Nothing to change if it neither pushes nor publishes. If it does, check the credential with token-gate before that step, and tell token-gate's maintainers which action it is."})
		return
	}
}

// credentialLike reports an input or variable named like a credential.
func credentialLike(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "token", "secret", "api-key", "api_key", "apikey", "credential", "pat"} {
		if n == w || strings.Contains(n, w) && w != "pat" || strings.HasSuffix(n, "_pat") || strings.HasSuffix(n, "-pat") {
			return true
		}
	}
	return false
}

// runEvents reads a run: script's logins, pushes and publishes.
func (a *auditor) runEvents(n *node, s *workflow.Step) {
	// A matrix runs the same script in every combination; a script that
	// names none of the tables' commands is not split at all.
	cmds := once(&a.memo.mu, a.memo.scripts, s.Run.Text, func() []command {
		if mentionsACommand(s.Run.Text) {
			return commands(s.Run.Text)
		}
		return nil
	})
	for _, cmd := range cmds {
		place := a.place(n.file, s.Run.At(cmd.offset), n, s)
		for _, words := range a.legWords(n, s, cmd.words) {
			a.commandEvents(n, s, cmd, unwrap(words), place)
		}
	}
}

// legWords are a command's words as each leg of the job runs them: the
// runner fills ${{ }} in before the shell reads the script, so a matrix
// value may name the tool (npx ${{ matrix.tool }} publish) and a matrix
// key the secret (${{ secrets[matrix.pat] }}). Once each distinct form.
func (a *auditor) legWords(n *node, s *workflow.Step, words []string) [][]string {
	if !slices.ContainsFunc(words, expr.HasExpr) {
		return [][]string{words}
	}
	var out [][]string
	seen := map[string]bool{}
	for _, l := range n.legs {
		filled := make([]string, len(words))
		for i, w := range words {
			filled[i] = a.fillWord(n, s, l, w)
		}
		if key := strings.Join(filled, "\x00"); !seen[key] {
			seen[key] = true
			out = append(out, filled)
		}
	}
	return out
}

// fillWord fills a word's expressions known in a leg; secrets[X] with X
// known becomes ${{ secrets.NAME }}; the rest stays as written.
func (a *auditor) fillWord(n *node, s *workflow.Step, l leg, w string) string {
	segs, err := expr.Scan(w)
	if err != nil {
		return w
	}
	var b strings.Builder
	for _, seg := range segs {
		if !seg.Expr {
			b.WriteString(seg.Text)
			continue
		}
		node := exprNode(seg.Text)
		if ix, ok := node.(expr.Index); ok {
			if p, ok := ix.X.(expr.Property); ok && len(p.Path) == 1 && strings.EqualFold(p.Path[0], "secrets") {
				if name, known := expr.Eval(ix.I, a.lookup(n, s, l)); known {
					b.WriteString("${{ secrets." + expr.String(name) + " }}")
					continue
				}
			}
		}
		if node != nil && len(secretNames("${{ "+seg.Text+" }}")) == 0 {
			if v, known := expr.Eval(node, a.lookup(n, s, l)); known {
				b.WriteString(expr.String(v))
				continue
			}
		}
		b.WriteString("${{ " + seg.Text + " }}")
	}
	return b.String()
}

// commandEvents reads one command of a script: its logins, pushes and
// publishes, or a notice for a publish-like command nobody knows.
func (a *auditor) commandEvents(n *node, s *workflow.Step, cmd command, words []string, place Place) {
	known := false
	for _, lc := range registryLogins {
		if at, ok := matchAt(words, lc.run); lc.run != "" && ok {
			a.runLogin(n, s, cmd, words, at, lc, place)
			known = true
		}
	}
	for _, pc := range imagePushes {
		if at, ok := matchAt(words, pc.run); ok {
			a.runPush(n, s, words, at, pc, place)
			known = true
		}
	}
	if len(words) > 0 && words[0] == "skopeo" && hasFlag(words, "--dest-creds") {
		a.destCreds(n, s, words, place)
	}
	for _, p := range publishers {
		if p.run == "" || !matches(words, p.run) {
			continue
		}
		known = true
		if slices.ContainsFunc(p.not, func(f string) bool { return hasFlag(words, f) }) || p.only != "" && !hasFlag(words, p.only) {
			continue
		}
		n.events = append(n.events, &event{kind: evPublish, publishKind: p.kind, target: p.target, secret: a.commandSecret(n, s, words, p.secret), place: place})
		if p.target == "a goreleaser release" {
			a.goreleaserPushes(n, s)
		}
	}
	if !known {
		a.unknownCommand(n, s, words, place)
	}
}

// unwrap drops what runs a command rather than being it: python -m X,
// poetry run, npx, bundle exec, and shell keywords.
func unwrap(words []string) []string {
	for len(words) > 0 {
		switch {
		case slices.Contains([]string{"do", "then", "else", "{", "(", "!", "time", "exec", "sudo", "command", "npx", "bunx"}, words[0]):
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") && words[0] != "-" {
				words = words[1:] // sudo -E, npx --yes
			}
		case len(words) > 2 && (words[0] == "python" || words[0] == "python3") && words[1] == "-m":
			words = words[2:]
		case len(words) > 1 && slices.Contains([]string{"poetry", "uv", "pipx", "pdm", "hatch", "pnpm", "bundle", "yarn"}, words[0]) && slices.Contains([]string{"run", "exec"}, words[1]) && !(words[0] == "yarn" && words[1] == "run"):
			words = words[2:]
		default:
			return words
		}
	}
	return words
}

// commandSecret is the root name of a publish command's own credential:
// its flag's value, or a secret its step's env carries.
func (a *auditor) commandSecret(n *node, s *workflow.Step, words []string, flag string) string {
	// flag may name its short form too: --password|-p.
	for f := range strings.SplitSeq(flag, "|") {
		if f == "" {
			continue
		}
		for _, v := range flagValues(words, f) {
			if refs := n.secretRefs(v, s, 0); len(refs) > 0 {
				return refs[0]
			}
		}
	}
	for _, v := range s.Env {
		if refs := n.secretRefs(v.Value.Text, s, 0); len(refs) > 0 && refs[0] != "GITHUB_TOKEN" {
			return refs[0]
		}
	}
	return ""
}

// unknownCommand notes a command named like a publish (a script called
// release, make publish) that no recogniser knows, when it can publish:
// its step reads a secret, or its job logged in to a registry before it.
func (a *auditor) unknownCommand(n *node, s *workflow.Step, words []string, place Place) {
	what := publishLike(words)
	if what == "" {
		return
	}
	secrets := n.secretRefs(s.Run.Text, s, 0)
	for _, v := range s.Env {
		secrets = append(secrets, n.secretRefs(v.Value.Text, s, 0)...)
	}
	loggedIn := slices.ContainsFunc(n.events, func(e *event) bool { return e.kind == evLogin && e.hasCred })
	if len(secrets) == 0 && !loggedIn {
		return
	}
	secret := ""
	if len(secrets) > 0 {
		secret = secrets[0]
	}
	n.events = append(n.events, &event{kind: evMaybe, place: place, target: what, secret: secret})
	if loggedIn {
		// After a login, the likeliest thing such a command does is push
		// with it: its images are not known.
		n.events = append(n.events, &event{kind: evPush, place: place, maybe: true})
	}
	a.add(Finding{Code: CodeUnrecognised, Severity: Notice, Place: place, Secret: secret,
		Message: fmt.Sprintf("%s runs %s, which looks like a push or a publish that token-gate does not know; what it publishes is not audited.", stepWords(n, s), clipText(what)),
		Fix:     "Nothing to change if it publishes nothing. If it does, make sure every credential it needs is checked before it runs."})
}

// publishLike names a command that looks like a publish: its tool, or the
// target a runner (make, npm run, a script) is given, holds publish, push,
// upload or release. git and gh commands that publish nothing are not.
func publishLike(words []string) string {
	if len(words) == 0 {
		return ""
	}
	tool := words[0]
	base := tool[strings.LastIndex(tool, "/")+1:]
	switch base {
	case "git", "echo", "printf", "cat", "grep", "sed", "awk", "test", "[", "[[", "cd", "export", "set", "if", "for", "while", "gh", "docker", "podman", "buildah", "jq", "yq", "curl", "wget", "tee", "ls", "mkdir", "rm", "cp", "mv":
		return ""
	}
	like := func(w string) bool {
		w = strings.ToLower(w)
		return strings.Contains(w, "publish") || strings.Contains(w, "push") || strings.Contains(w, "upload") || strings.Contains(w, "release")
	}
	if like(base) && (strings.Contains(tool, "/") || strings.HasSuffix(base, ".sh") || strings.HasSuffix(base, ".py")) {
		return tool
	}
	switch base {
	case "make", "just", "task", "rake", "npm", "yarn", "pnpm", "bash", "sh", "python", "python3", "node":
		for _, w := range words[1:] {
			if strings.HasPrefix(w, "-") || w == "run" {
				continue
			}
			if like(w) {
				return base + " " + w
			}
			break
		}
	}
	return ""
}

// runLogin reads `docker login [-u U] [-p P | --password-stdin] [SERVER]`
// and its kin: the password's secret is the value of -p/--password, or,
// with --password-stdin, what the pipeline or a here-string feeds it; the
// username is -u/--username's, never a credential of its own.
func (a *auditor) runLogin(n *node, s *workflow.Step, cmd command, words []string, at int, lc registryLogin, place Place) {
	server := args(words, at)
	registry := lc.home
	if len(server) > 0 {
		registry = server[0]
	}
	if registry == "" {
		return
	}
	var pwText string
	switch {
	case len(flagValues(words, "-p", "--password", "--pass")) > 0:
		pwText = strings.Join(flagValues(words, "-p", "--password", "--pass"), " ")
	case hasFlag(words, "--password-stdin", "--pass-stdin"):
		pwText = hereString(words)
		for _, c := range cmd.pipeline {
			if c.offset != cmd.offset {
				pwText += " " + strings.Join(c.words, " ")
			}
		}
	}
	secrets := n.secretRefs(pwText, s, 0)
	if len(secrets) == 0 {
		a.unresolved(place, "", fmt.Sprintf("%s runs %s with a password token-gate cannot trace to a secret, so that credential is not audited.", stepWords(n, s), lc.run))
		return
	}
	user := ""
	if u := flagValues(words, "-u", "--username", "--user"); len(u) > 0 {
		user = a.shellUser(n, s, u[0])
	}
	for _, reg := range a.registries(n, s, a.shellOrSelf(n, s, registry), true, lc.home, place) {
		a.exchangedLogin(n, s, place, secrets, reg, user, exchangedRegistry(reg, user))
	}
}

// shellUser writes a username given as $VAR as the env value it comes
// from, so that a fix can copy it.
func (a *auditor) shellUser(n *node, s *workflow.Step, word string) string {
	vars := shellVars(word)
	if len(vars) != 1 || "$"+vars[0] != word && "${"+vars[0]+"}" != word {
		return word
	}
	if v, ok := n.envValue(s, vars[0]); ok {
		return rawText(n.file, v)
	}
	return word
}

// destCreds reads skopeo copy --dest-creds USER:PASS: a push with its own
// credential.
func (a *auditor) destCreds(n *node, s *workflow.Step, words []string, place Place) {
	for _, v := range flagValues(words, "--dest-creds") {
		_, pw, _ := strings.Cut(v, ":")
		secrets := n.secretRefs(pw, s, 0)
		rest := args(words, 2)
		if len(secrets) == 0 || len(rest) == 0 {
			continue
		}
		reg := literalRegistry(strings.TrimPrefix(rest[len(rest)-1], "docker://"))
		if reg == "" {
			continue
		}
		for _, secret := range secrets {
			n.events = append(n.events, &event{kind: evLogin, cred: credKey{strings.ToUpper(secret), reg}, hasCred: true, place: place})
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
func (a *auditor) runPush(n *node, s *workflow.Step, words []string, skip int, pc imagePush, place Place) {
	var refs []string
	switch pc.image {
	case "first", "last":
		rest := args(words, skip)
		if len(rest) == 0 {
			return
		}
		ref := rest[0]
		if pc.image == "last" {
			ref = rest[len(rest)-1]
		}
		refs = []string{strings.TrimPrefix(ref, "docker://")}
	case "tags":
		refs = flagValues(words, "-t", "--tag")
	case "build":
		if !hasFlag(words, "--push") && !slices.ContainsFunc(flagValues(words, "--output", "-o"), outputPushes) {
			return
		}
		refs = flagValues(words, "-t", "--tag")
		refs = append(refs, outputNames(strings.Join(flagValues(words, "--output", "-o"), "\n"))...)
	case "bake":
		if !hasFlag(words, "--push") {
			return
		}
		refs = []string{""}
		a.unresolved(place, "", fmt.Sprintf("%s runs docker buildx bake --push, whose images are named in a bake file token-gate does not read.", stepWords(n, s)))
	case "ko":
		repo, ok := n.envValue(s, "KO_DOCKER_REPO")
		if !ok {
			refs = []string{""}
			break
		}
		refs = []string{repo.Text}
	case "jib":
		refs = flagValues(words, "-Djib.to.image", "--image")
		if len(refs) == 0 {
			refs = []string{""}
		}
	case "oci":
		// helm push CHART oci://HOST/PATH: the chart goes to HOST/PATH/NAME,
		// its name known only from the package.
		rest := args(words, skip)
		if len(rest) < 2 || !strings.HasPrefix(rest[len(rest)-1], "oci://") {
			return
		}
		host, _, _ := strings.Cut(strings.TrimPrefix(rest[len(rest)-1], "oci://"), "/")
		n.events = append(n.events, &event{kind: evPush, registry: image.RegistryFromInput(host), place: place})
		return
	}
	if len(refs) == 0 {
		refs = []string{""}
	}
	a.pushEvents(n, s, place, a.loopRefs(n, s, refs), nil)
}

// pushEvents records a push of each image refs name (docker's home is
// Docker Hub); an empty ref is a push of an image the audit cannot name.
func (a *auditor) pushEvents(n *node, s *workflow.Step, place Place, refs []string, when *condition) {
	var named []string
	unnamed := false
	for _, r := range refs {
		if strings.TrimSpace(r) == "" {
			unnamed = true
			continue
		}
		named = append(named, r)
	}
	imgs, unlisted, templates := a.images(n, s, "docker.io", place, named)
	for _, img := range imgs {
		n.events = append(n.events, &event{kind: evPush, image: img, registry: registryOf(img), place: place, when: when})
	}
	for _, t := range templates {
		n.events = append(n.events, &event{kind: evPush, template: t, registry: literalRegistry(t), place: place, when: when})
	}
	for _, ref := range unlisted {
		n.events = append(n.events, &event{kind: evPush, registry: literalRegistry(ref), place: place, when: when})
	}
	if unnamed {
		n.events = append(n.events, &event{kind: evPush, place: place, when: when})
	}
}

// attribute gives each push of a job the credential it pushes with: the
// last login before it, in the job, to its registry; or, for an image whose
// registry cannot be read, the job's one registry logged in to.
func (a *auditor) attribute(n *node) {
	var logins, extra []*event
	for _, e := range n.events {
		switch e.kind {
		case evLogin:
			if e.hasCred || e.keyless {
				logins = append(logins, e)
			}
		case evPush:
			login := lastLogin(logins, e)
			if login != nil && login.keyless {
				continue // pushed with a login that has no secret
			}
			if login == nil {
				if e.image != "" && !e.maybe {
					a.unresolved(e.place, "", fmt.Sprintf("%s pushes %s, but no login to %s comes before it in the job, so the credential it pushes with is not known.",
						stepWords(n, e.step), e.image, image.DisplayHost(e.registry)))
				}
				continue
			}
			pushWhen := e.when
			e.cred, e.hasCred, e.username = login.cred, true, login.username
			e.when = a.andCond(pushWhen, login.when)
			if e.registry == "" {
				e.registry = login.cred.registry
			}
			// A login whose password is one of several secrets (a ? b :
			// c, written with && and ||) pushes with whichever it got.
			for _, other := range logins {
				if other != login && other.step == login.step && other.cred.registry == login.cred.registry && other.cred != login.cred && other.hasCred {
					twin := *e
					twin.cred, twin.username = other.cred, other.username
					twin.when = a.andCond(pushWhen, other.when)
					extra = append(extra, &twin)
				}
			}
		}
	}
	n.events = append(n.events, extra...)
}

// lastLogin is the last login before push, in its job, to its registry: the
// credential docker pushes with. A push whose registry is not known goes
// with the job's logins when they are all to one registry.
func lastLogin(logins []*event, push *event) *event {
	var found *event
	registries := map[string]bool{}
	for _, l := range logins {
		if l.step.Index > push.step.Index {
			continue
		}
		registries[l.cred.registry] = true
		if push.registry == "" || l.cred.registry == push.registry {
			found = l
		}
	}
	if push.registry == "" && len(registries) != 1 {
		return nil
	}
	return found
}

func registryOf(img string) string {
	host, _, _ := strings.Cut(img, "/")
	return image.RegistryFromInput(host)
}

// stepOutput reads ${{ steps.ID.outputs.NAME }}.
func stepOutput(item, name string) (string, bool) {
	x, ok := soleExpr(item)
	if !ok {
		return "", false
	}
	if p, ok := exprNode(x).(expr.Property); ok && len(p.Path) == 4 && strings.EqualFold(p.Path[0], "steps") && strings.EqualFold(p.Path[2], "outputs") && strings.EqualFold(p.Path[3], name) {
		return p.Path[1], true
	}
	return "", false
}

// metadataImages reads metadata-action's images as the action does: one
// entry a line, or several on one line separated by commas; an entry may
// be CSV (name=IMAGE,enable=…); lines starting with # skipped; entries with
// enable=false dropped (docs/facts.md, "Workflows").
func metadataImages(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(line, "=") {
			for _, name := range strings.Split(line, ",") {
				if name = strings.TrimSpace(name); name != "" {
					out = append(out, name)
				}
			}
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

// loginUser is a username as the runner reads it: its YAML quotes gone (a
// quoted "bot" logs in as bot), its expressions kept. The fix writes it
// back through yamlScalar, which quotes it again where YAML needs that.
func loginUser(v workflow.Value) string { return strings.TrimSpace(v.Text) }

// rawText is a scalar as it is written in the file, for copying into the
// fix: an expression keeps its ${{ }}, a quoted value its quotes.
func rawText(f *workflow.File, v workflow.Value) string {
	if v.Text == "" && v.Raw == nil {
		return ""
	}
	if v.Style == workflow.Block || v.Seq || v.Map {
		return v.Text
	}
	rest, ok := restOfLine(f, v)
	if !ok {
		return v.Text
	}
	return strings.TrimSpace(stripComment(rest))
}

// restOfLine is the text of v's line from where v starts.
func restOfLine(f *workflow.File, v workflow.Value) (string, bool) {
	line := f.Line(v.Pos.Line)
	start := f.Offset(v.Pos) - f.Offset(workflow.Pos{Line: v.Pos.Line, Col: 1})
	if start < 0 || start > len(line) {
		return "", false
	}
	return line[start:], true
}

func stepWords(n *node, s *workflow.Step) string {
	if s == nil {
		return "job " + n.id
	}
	return fmt.Sprintf("step %q of job %s", stepLabel(s), n.id)
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

// inputRef reads ${{ inputs.NAME }}.
func inputRef(text string) (string, bool) {
	x, ok := soleExpr(strings.TrimSpace(text))
	if !ok {
		return "", false
	}
	if p, ok := exprNode(x).(expr.Property); ok && len(p.Path) == 2 && strings.EqualFold(p.Path[0], "inputs") {
		return p.Path[1], true
	}
	return "", false
}

func localKeyOf(uses string) string {
	return strings.TrimSuffix(strings.TrimPrefix(uses, "./"), "/")
}

// neverRuns reports a step whose if: is false in every leg of its job by
// what is known before the run alone (an input the call does not pass, a
// matrix value): it logs in, pushes and publishes nothing.
func (a *auditor) neverRuns(n *node, s *workflow.Step) bool {
	c := a.readCond(s.If)
	if c == nil || c.node == nil || c.status {
		return false
	}
	for _, l := range n.legs {
		v, known := expr.Truth(c.node, a.lookup(n, s, l), expr.Status{Success: true}, nil)
		if !known || v {
			return false
		}
	}
	return len(n.legs) > 0
}

// goreleaserPushes: goreleaser pushes the images its dockers section
// names, with the job's logins; a release after logins to registries is a
// push to each, its images not known from the workflow.
func (a *auditor) goreleaserPushes(n *node, s *workflow.Step) {
	seen := map[string]bool{}
	for _, e := range n.events {
		if e.kind == evLogin && (e.hasCred || e.keyless) && e.step != s && !seen[e.cred.registry] {
			seen[e.cred.registry] = true
			n.events = append(n.events, &event{kind: evPush, registry: e.cred.registry, place: a.place(n.file, s.Pos, n, s), maybe: true})
		}
	}
}
