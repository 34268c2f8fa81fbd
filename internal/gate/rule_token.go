package gate

import (
	"fmt"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules about the token itself, decided before any request.

func (j *judge) malformed() {
	j.v.check("Token format", Fail, "unusable as a token")
	j.v.add(CodeMalformed, Error, "Malformed token", fmt.Sprintf("The value of %s is not a usable token: %s. Nothing was sent. Update the secret %s at %s.",
		j.name, j.in.Entry.Bad, j.name, j.links.Secrets()))
}

func (j *judge) missing() {
	text := fmt.Sprintf("%s is empty. Usually the secret is not set in this repository or organization, or the workflow runs from a fork or as Dependabot, whose runs receive no secrets. Set the secret at %s, or use on-missing: skip for runs that cannot have it.",
		j.name, j.links.Secrets())
	switch j.cfg.OnMissing {
	case config.MissingFail:
		j.v.check("Token present", Fail, "empty")
		j.v.add(CodeEmpty, Error, "Token is empty", text)
	case config.MissingWarn:
		j.v.check("Token present", Warn, "empty; on-missing: warn")
		j.v.add(CodeEmpty, Warning, "Token is empty", text)
	case config.MissingSkip:
		j.v.check("Token present", Skipped, "empty; on-missing: skip")
		j.v.add(CodeEmpty, Notice, "Token is empty, check skipped", fmt.Sprintf("%s is empty, so it was not checked (on-missing: skip).", j.name))
	}
}

func (j *judge) refresh() {
	j.v.check("Token kind", Fail, j.v.Kind.Describe())
	scopes := j.replacementScopes()
	j.v.add(CodeWrongKind, Error, "Wrong kind of token", fmt.Sprintf("%s is a GitHub App refresh token (ghr_), which cannot call the API or push images. Store a classic personal access token with %s instead: %s. Then update the secret %s at %s.",
		j.name, scopeWords(scopes), j.links.NewClassicToken(scopes, j.name), j.name, j.links.Secrets()))
}

// packagesWanted reports whether this run is about pushing packages: a
// packages scope is required or images are to be probed.
func (j *judge) packagesWanted() bool {
	return token.NeedsPackages(j.cfg.RequiredScopes) || len(j.cfg.Packages) > 0
}

// wrongForPackages reports a kind GitHub Packages refuses, in a run about
// packages.
func (j *judge) wrongForPackages() bool {
	return j.v.Kind.RefusedByPackages() && j.packagesWanted()
}

func (j *judge) kind() {
	if !j.wrongForPackages() {
		j.v.check("Token kind", Pass, j.v.Kind.Describe())
		return
	}
	j.v.check("Token kind", Fail, j.v.Kind.Describe())
	j.v.add(CodeKindNotForPackages, Error, "Token kind not accepted by GitHub Packages", fmt.Sprintf("%s is a %s, but GitHub Packages (ghcr.io) accepts only classic personal access tokens. Use a classic PAT with write:packages (%s), or GITHUB_TOKEN with `permissions: packages: write`, and update the secret %s at %s.",
		j.name, j.v.Kind.Describe(), j.links.NewClassicToken(j.replacementScopes(), j.name), j.name, j.links.Secrets()))
}
