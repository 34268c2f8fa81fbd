package gate

import (
	"fmt"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules about the token itself, decided before any request, and its kind.

func (j *judge) malformed() {
	j.v.check("Token format", Fail, "unusable as a token")
	j.v.add(CodeMalformed, Error, "Malformed token", fmt.Sprintf("The value of %s is not a usable token: %s. Nothing was sent. %s",
		j.name, j.in.Entry.Bad, j.updateSecret()))
}

func (j *judge) missing() {
	text := fmt.Sprintf("%s is empty. Usually the secret is not set in this repository or organization, or the workflow runs from a fork or as Dependabot, whose runs receive no secrets. Set the secret at %s, or use on-missing: skip for runs that cannot have it.",
		j.name, j.links.Secrets())
	if j.cfg.Terminal {
		// Only a --tokens-file line can be empty here: with no token at all
		// the terminal stops before judging.
		text = fmt.Sprintf("%s has no value in --tokens-file, so it was not checked. Give it one, or leave the line out.", j.name)
	}
	switch j.cfg.OnMissing {
	case config.MissingFail:
		j.v.check("Token present", Fail, "empty")
		j.v.add(CodeEmpty, Error, "Token is empty", text)
	case config.MissingWarn:
		j.v.check("Token present", Warn, "empty; on-missing: warn")
		j.v.add(CodeEmpty, Warning, "Token is empty", text)
	case config.MissingSkip:
		j.v.check("Token present", Skipped, "empty; on-missing: skip")
		j.v.add(CodeEmpty, Notice, "Token is empty, check skipped", fmt.Sprintf("%s is empty, so it was not checked (%s: skip).", j.name, j.input(config.InOnMissing)))
	}
}

func (j *judge) refresh() {
	j.v.check("Token kind", Fail, j.v.Kind.Describe())
	scopes := j.replacementScopes()
	j.v.add(CodeWrongKind, Error, "Wrong kind of token", fmt.Sprintf("%s is a GitHub App refresh token (ghr_), which cannot call the API or push images. Store a classic personal access token with %s instead: %s. %s",
		j.name, scopeWords(scopes), j.links.NewClassicToken(scopes, j.name), j.updateSecret()))
}

// packagesWanted reports whether this run is about pushing packages: a
// packages scope is required or images are to be probed.
func (j *judge) packagesWanted() bool {
	return token.NeedsPackages(j.cfg.RequiredScopes) || len(j.cfg.Packages) > 0
}

// wrongForPackages reports a kind GitHub's documentation says GitHub
// Packages refuses, in a run about packages.
func (j *judge) wrongForPackages() bool {
	return j.v.Kind.RefusedByPackages() && j.packagesWanted()
}

// registryTookIt reports that every listed image accepted the token: the
// registry, not the documentation, has the last word on a push
// (docs/facts.md, "GitHub Packages").
func (j *judge) registryTookIt() bool {
	imgs := j.in.Facts.Images
	if len(j.cfg.Packages) == 0 || len(imgs) == 0 {
		return false
	}
	for _, r := range imgs {
		if r.Outcome != facts.Pushable {
			return false
		}
	}
	return true
}

func (j *judge) kind() {
	switch {
	case !j.wrongForPackages():
		j.v.check("Token kind", Pass, j.v.Kind.Describe())
		return
	case j.registryTookIt():
		// GitHub's Packages docs still say classic PATs only
		// (github/roadmap#558 is open); the day ghcr.io takes another kind,
		// the probe shows it and the gate follows the registry.
		j.v.check("Token kind", Pass, j.v.Kind.Describe()+"; the registry accepted it for every image")
		j.v.add(CodeKindAcceptedByRegistry, Notice, "Token kind accepted by the registry", fmt.Sprintf("%s is a %s. GitHub's documentation says \"GitHub Packages only supports authentication using a personal access token (classic)\", yet %s accepted it for every listed image, so the gate passes it: the registry decides. If a push fails later, replace it with a classic PAT with write:packages (%s).",
			j.name, j.v.Kind.Describe(), j.cfg.GitHubRegistry, j.links.NewClassicToken(j.replacementScopes(), j.name)))
		return
	}
	j.v.check("Token kind", Fail, j.v.Kind.Describe())
	said := ""
	if r, ok := j.firstDenied(); ok && r.Message != "" {
		said = fmt.Sprintf(" %s refused it too: %s.", r.Image.Registry, facts.Quote(r.Message))
	} else if ok {
		said = fmt.Sprintf(" %s refused it too (%d at the %s step).", r.Image.Registry, r.Status, r.Step)
	}
	j.v.add(CodeKindNotForPackages, Error, "Token kind not accepted by GitHub Packages", fmt.Sprintf("%s is a %s, but GitHub Packages (%s) accepts only classic personal access tokens (GitHub's documentation: \"GitHub Packages only supports authentication using a personal access token (classic)\").%s Use a classic PAT with write:packages (%s), or GITHUB_TOKEN with `permissions: packages: write`. %s",
		j.name, j.v.Kind.Describe(), j.cfg.GitHubRegistry, said, j.links.NewClassicToken(j.replacementScopes(), j.name), j.updateSecret()))
}
