package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/image"
)

// replaceable: a long-lived credential that a short-lived one could
// replace, with the exact change and what must be set up outside the
// workflow first (docs/facts.md, "Short-lived credentials"). A token that
// does not exist never expires.
//
//   - A PAT used only to push to ghcr.io/OWNER/… from a repository of the
//     same OWNER: the job's GITHUB_TOKEN, with packages: write, once each
//     package grants the repository Actions access. Where the owners
//     differ, it cannot (the inventory's row says why), and nothing is
//     said here.
//   - A PyPI or npm token where trusted publishing works: id-token: write,
//     and no password.
//   - A Docker Hub token where Docker Hub's OIDC login does (Team and
//     Business plans).
func (a *auditor) replaceable(r *run, cs *credSet) {
	refs := a.secretRefs(r)
	for _, k := range runCreds(r) {
		if k.secret == "GITHUB_TOKEN" || !cs.pushes[k] || cs.exchanged(k) != "" {
			continue
		}
		first := a.firstUse(r, k)
		if first == nil {
			continue
		}
		switch {
		case registryMatches(githubRegistry, k.registry):
			owner, ok := a.sameOwner(r, k)
			if !ok {
				continue
			}
			a.add(Finding{Code: CodeReplaceable, Severity: Notice, Place: first.place, Secret: k.secret,
				Message: fmt.Sprintf("%s pushes only to %s's own packages (%s), from a repository of %s: the job's GITHUB_TOKEN can push there instead, and it lives only as long as the job.",
					k.secret, owner, wordsList(clipList(runImages(r, k), 3)), owner),
				Fix: fmt.Sprintf("In each package's settings, under Manage Actions access, give this repository the Write role; then give the jobs that push `permissions: packages: write`, log in with `password: ${{ secrets.GITHUB_TOKEN }}` (username `${{ github.actor }}`), and %s.", a.deleteWords(r, refs, k.secret, nil))})
		case image.DisplayHost(k.registry) == "docker.io":
			a.add(Finding{Code: CodeReplaceable, Severity: Notice, Place: first.place, Secret: k.secret,
				Message: fmt.Sprintf("%s logs in to Docker Hub with a stored password or access token; on a Docker Team or Business plan, docker/login-action (v4.5 or later) logs in to Docker Hub by OIDC with none.", k.secret),
				Fix:     fmt.Sprintf("If the organization's plan has it: connect the repository in Docker Hub's OIDC settings, give the job `permissions: id-token: write`, drop `password:` from each login, and %s; otherwise keep it, and check it with token-gate.", a.deleteWords(r, refs, k.secret, nil))})
		}
	}
	for _, e := range r.publishesWithSecrets() {
		switch e.publishKind {
		case "pypi":
			a.add(Finding{Code: CodeReplaceable, Severity: Notice, Place: e.place, Secret: e.secret,
				Message: fmt.Sprintf("%s publishes to PyPI with the token %s; PyPI takes trusted publishing, a short-lived token the job gets from GitHub, so no token need be stored.", stepWords(e.node, e.step), e.secret),
				Fix:     pypiTrustedFix(e, a.deleteWords(r, refs, e.secret, e))})
		case "npm":
			a.add(Finding{Code: CodeReplaceable, Severity: Notice, Place: e.place, Secret: e.secret,
				Message: fmt.Sprintf("%s publishes to npm with the token %s; npm takes trusted publishing from GitHub Actions, and from January 2027 means to stop tokens that bypass 2FA from publishing.", stepWords(e.node, e.step), e.secret),
				Fix:     fmt.Sprintf("On npmjs.com, add this workflow as the package's trusted publisher; give the job `permissions: id-token: write`, publish with npm 11.5.1 or later (Node 22.14.0 or later) on a GitHub-hosted runner and no token, and %s.", a.deleteWords(r, refs, e.secret, e))})
		}
	}
}

// firstUse is a credential's first login or push in the run, the root
// file's first.
func (a *auditor) firstUse(r *run, k credKey) *event {
	var first *event
	for e := range r.events() {
		if e.hasCred && e.cred.matches(k) && (e.kind == evLogin || e.kind == evPush) && (first == nil || earlierUse(r, e, first)) {
			first = e
		}
	}
	return first
}

// sameOwner reports the owner of every image a ghcr.io credential pushes,
// when that is the repository's own: named by github.repository_owner (or
// github.repository), or, with the repository known, by its name.
func (a *auditor) sameOwner(r *run, k credKey) (string, bool) {
	imgs := runImages(r, k)
	if len(imgs) == 0 || pushesUnnamed(r, k) {
		return "", false
	}
	repoOwner, _, _ := strings.Cut(a.opts.Repository, "/")
	owner := ""
	for _, img := range imgs {
		_, path, _ := strings.Cut(img, "/")
		first, _, _ := strings.Cut(path, "/")
		switch {
		case first == "${{ github.repository_owner }}" || strings.HasPrefix(path, "${{ github.repository }}"):
			if owner == "" {
				owner = "the repository's owner"
			}
		case repoOwner != "" && strings.EqualFold(first, repoOwner):
			owner = repoOwner
		default:
			return "", false
		}
	}
	return owner, true
}

// pushesUnnamed reports a credential that also pushes images the audit cannot name:
// nobody can say they are the repository owner's.
func pushesUnnamed(r *run, k credKey) bool {
	for e := range r.events() {
		if e.kind == evPush && e.hasCred && e.cred.matches(k) && e.image == "" && e.template == "" {
			return true
		}
	}
	return false
}

// publishesWithSecrets are the run's publishes that a stored secret
// authorises.
func (r *run) publishesWithSecrets() []*event {
	var out []*event
	for e := range r.events() {
		if e.kind == evPublish && e.secret != "" && e.secret != "GITHUB_TOKEN" {
			out = append(out, e)
		}
	}
	return out
}

// pypiTrustedFix says how one PyPI publish moves to trusted publishing:
// what PyPI must name (this workflow, and the job's environment), what the
// job lacks, and what the step becomes. pypa/gh-action-pypi-publish and uv
// exchange the job's OIDC token themselves; poetry, twine and the rest do
// not (pypa/twine#999), so their step gives way to the action
// (docs/facts.md, "Short-lived credentials").
func pypiTrustedFix(e *event, deleteWords string) string {
	job := e.node.job
	publisher := "this workflow"
	if e.node.caller != nil {
		// PyPI trusts the workflow a run starts from, not one it calls.
		publisher = e.node.top.file.Path + ", the workflow that calls this one,"
	}
	if job.Environment != nil && strings.TrimSpace(job.Environment.Text) != "" {
		publisher += " and its environment " + strings.TrimSpace(job.Environment.Text)
	}
	var steps []string
	switch {
	case e.node.caller != nil:
		// A called workflow's job gets no more than its caller grants.
		steps = append(steps, "give the job, and the job that calls it, `permissions: id-token: write`")
	case !job.IDTokenWrite:
		steps = append(steps, "give the job `permissions: id-token: write`")
	}
	switch {
	case e.step != nil && e.step.Uses != nil && actionName(e.step.Uses.Text) == "pypa/gh-action-pypi-publish":
		steps = append(steps, "drop `password:` from the step (the action then uses trusted publishing)")
	case e.step != nil && e.step.Run != nil && strings.Contains(e.step.Run.Text, "uv publish"):
		steps = append(steps, "run uv publish with no token (on GitHub Actions it then uses trusted publishing)")
	default:
		steps = append(steps, "build the files in this step and publish them with pypa/gh-action-pypi-publish and no password (this tool does not trade the job's OIDC token for one itself)")
	}
	steps = append(steps, deleteWords)
	fix := fmt.Sprintf("On PyPI, add %s as the project's trusted publisher; then %s.", publisher, wordsList(steps))
	if e.node.caller != nil {
		// PyPI supports a publish from a called workflow only in part
		// (docs/facts.md, "Short-lived credentials").
		fix += " PyPI supports a publish from a called workflow only in part: naming the calling workflow works while both are in this repository, and PyPI means to change how such publishers are named; a publish from a job of " + e.node.top.file.Path + " itself is supported fully."
	}
	return fix
}

// deleteWords is the last step of a replaceable fix: delete the secret,
// or, where something else reads it too (another job of the run, with only
// one publish e's job excepted, or another workflow file), delete it only
// once nothing does: the advice never breaks a job it does not name.
func (a *auditor) deleteWords(r *run, refs []finding.SecretRef, secret string, e *event) string {
	var others []string
	// within reports a node that is job, or one a call in job runs: a
	// called workflow's read is placed at its caller's job.
	within := func(n *node, job string) bool { return n.id == job || strings.HasPrefix(n.id, job+"/") }
	for _, ref := range refs {
		switch {
		case !strings.EqualFold(ref.Secret, secret), ref.Role == finding.RoleUsername, ref.Role == finding.RoleCheck:
			// a check of it goes with it
			continue
		case e != nil && within(e.node, ref.Job):
			continue
		case e == nil && slices.ContainsFunc(r.nodes, func(n *node) bool { return within(n, ref.Job) && usesCredIn(n, secret) }):
			continue
		}
		others = appendOnce(others, "job "+ref.Job)
	}
	for _, f := range a.repo.Files {
		if f != r.root && !a.inRun(r, f.Path) && expr.Mentions(string(f.Source), "secrets."+secret) {
			others = appendOnce(others, f.Path)
		}
	}
	if len(others) == 0 {
		return "delete " + secret
	}
	return fmt.Sprintf("delete %s once nothing else reads it (%s %s)", secret, wordsList(clipList(others, 3)), agree(len(others), "does", "do"))
}

// usesCredIn reports a node that logs in or pushes with the secret: a
// use the registry advice itself replaces.
func usesCredIn(n *node, secret string) bool {
	return slices.ContainsFunc(n.events, func(e *event) bool {
		return e.hasCred && strings.EqualFold(e.cred.secret, secret) && (e.kind == evLogin || e.kind == evPush)
	})
}
