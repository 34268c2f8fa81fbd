package gate

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules for a credential of a registry other than GitHub's: no GitHub
// request, so scopes, SSO and GitHub's expiry header do not apply; the
// registry's token service decides validity (docs/facts.md, "Docker Hub").

// Where Docker Hub access tokens are made and edited: a person's in their
// account settings; an organization's in Docker Home, under the
// organization's Identity & auth → Access tokens, as Docker's docs page
// says (docs/facts.md, "Docker Hub").
const (
	dockerHubTokens    = "https://app.docker.com/settings/personal-access-tokens"
	dockerHubOrgTokens = "https://docs.docker.com/security/access-tokens/organization-access-tokens/"
)

// orgTokensPlace is where an organization's access tokens are listed.
func orgTokensPlace(org string) string {
	return fmt.Sprintf("Docker Home (https://app.docker.com) → the organization %s → Identity & auth → Access tokens", org)
}

func (j *judge) registryCredential() {
	v := j.v
	v.check("Token kind", Pass, v.Kind.Describe())
	if j.cfg.ScopesIgnored {
		v.add(CodeScopesIgnored, Notice, "required-scopes not applied", fmt.Sprintf("%s names GitHub scopes, which do not apply to a %s; it was ignored.", j.input(config.InRequiredScopes), v.Kind.Describe()))
	}
	login := j.in.Facts.Login
	switch {
	case login == nil:
		v.check("Credentials", Unverified, "not checked")
	case login.Outcome == facts.Accepted:
		v.Login = j.cfg.Username
		v.check("Credentials", Pass, fmt.Sprintf("%s's token service accepted %s", j.registryName(), j.cfg.Username))
	default:
		j.registryLoginFailure(*login)
	}
	v.check("Scopes", NotApplicable, "GitHub scopes do not apply to registry credentials")
	v.check("SSO and org policy", NotApplicable, "GitHub's SSO does not apply to registry credentials")
	v.Expiry = ExpiryNotVisible
	v.check("Expiry", Unverified, "not visible to the gate")
	schedule := "Run this step on a weekly schedule with reminder: issue, so that a lapsed token opens an issue the day it fails rather than at the next release."
	if j.cfg.Terminal {
		schedule = "Note its expiry where you made it."
	}
	v.add(CodeExpiryNotVisible, Notice, "Expiry not visible", fmt.Sprintf("%s offers no way for a token to read its own expiry, so token-gate cannot warn before %s lapses (Docker Hub access tokens may expire since 2024-11). %s",
		j.registryName(), j.name, schedule))
}

func (j *judge) registryLoginFailure(r facts.ImageResult) {
	v := j.v
	said := answered(j.registryName(), r)
	switch {
	case r.Outcome == facts.Denied:
		v.check("Credentials", Fail, fmt.Sprintf("%d at the %s step", r.Status, r.Step))
		v.add(CodeBadRegistryLogin, Error, "Registry credentials refused", fmt.Sprintf("%s for the user %s was refused: %s. %s %s",
			j.name, j.cfg.Username, said, j.whoseCredential(), j.registryFix()))
	case isLockout(r):
		v.check("Credentials", Unverified, "account locked out after failed logins")
		j.lockout(r, j.name+" could not be checked")
	case r.Outcome == facts.RateLimited:
		v.check("Credentials", Unverified, "rate limited")
		v.add(CodeRegistryRateLimit, Error, "Registry rate limit", fmt.Sprintf("%s could not be checked: %s. A rate limit, not a bad token; %s later.", j.name, said, j.again()))
	case r.Outcome == facts.Unreachable:
		detail := said
		if r.Status == 0 {
			detail = fmt.Sprintf("%s failed at the %s step: %s", j.registryName(), r.Step, r.Message)
		}
		v.check("Credentials", Unverified, "registry unreachable")
		v.add(CodeRegistryDown, Error, "Registry unreachable", fmt.Sprintf("%s could not be checked: %s. This says nothing about the token; %s.", j.name, detail, j.again()))
	default:
		detail := said
		if r.Status == 0 {
			detail = r.Message
		}
		v.check("Credentials", Unverified, "unexpected answer")
		v.add(CodeUnexpectedAnswer, Error, "Unexpected answer from the registry", fmt.Sprintf("%s could not be checked: %s. The token's validity is unknown, not bad; check %s (%s).", j.name, detail, j.input(config.InRegistry), j.registryName()))
	}
}

// whoseCredential says what a refused login means for this kind of token.
func (j *judge) whoseCredential() string {
	if j.v.Kind == token.DockerHubOAT {
		return fmt.Sprintf("The token is wrong, expired or revoked, or the username is not its organization: an organization access token logs in as the organization's name, not a person's Docker ID (%s is given).", j.cfg.Username)
	}
	return "The token is wrong, expired or revoked, or the username is not the account it belongs to."
}

// registryName names the registry as users write it.
func (j *judge) registryName() string {
	if j.cfg.Registry == image.DockerHub {
		return "Docker Hub"
	}
	return j.cfg.Registry
}

// registryFix tells where a new token is made and which secret to update.
func (j *judge) registryFix() string {
	where := "Issue a new access token at " + j.cfg.Registry + "."
	switch {
	case j.cfg.Registry == image.DockerHub && j.v.Kind == token.DockerHubOAT:
		where = fmt.Sprintf("Create a new organization access token in the organization's own settings (%s → Generate access token; %s), giving it the repositories it pushes to with Image Push and, to push a repository that does not exist yet, the organization's \"Repository Create\" scope.",
			orgTokensPlace(j.cfg.Username), dockerHubOrgTokens)
	case j.cfg.Registry == image.DockerHub:
		where = "Check that " + j.input(config.InUsername) + " is the Docker ID (not the e-mail address), or create a new personal access token with Repo Read & Write access at " + dockerHubTokens + "."
	}
	return where + " " + j.updateSecret()
}

// whyDeniedRegistry is the fix for an image a registry credential may not
// push to. Docker Hub lets a token's permission or scopes be edited in
// place, keeping its value, unless it has expired (Docker docs, "Access
// token reference"; docs/facts.md, "Docker Hub"): the secret need not
// change.
func (j *judge) whyDeniedRegistry(r facts.ImageResult) string {
	img := r.Image
	if j.cfg.Registry != image.DockerHub {
		return fmt.Sprintf("Check that %s may push to %s on %s, and that the access token may write. %s", j.cfg.Username, img.Repository, j.registryName(), j.registryFix())
	}
	// A read-only personal access token asking for push is refused at the
	// token step (spinalcordtoolbox#5286; docs/facts.md, "Docker Hub").
	readOnly := ""
	if r.Step == "token" && strings.Contains(strings.ToLower(r.Message), "insufficient scopes") {
		readOnly = "Docker Hub issues no push token for it: the access token cannot write (a Repo Read-only or Repo Public Read-only token). "
	}
	const kept = "Editing keeps the token's value, so the secret need not change; only an expired token cannot be edited and must be replaced."
	if j.v.Kind == token.DockerHubOAT {
		return readOnly + fmt.Sprintf("An organization access token pushes only to the repositories it lists with Image Push, and creates one only with the organization's \"Repository Create\" scope: edit the token (%s → the token's actions menu → Edit; %s) to give it %s with Image Push, and Repository Create if the repository does not exist yet. %s",
			orgTokensPlace(j.cfg.Username), dockerHubOrgTokens, img.Repository, kept)
	}
	if readOnly != "" {
		return readOnly + fmt.Sprintf("Edit the token's permission to Repo Read & Write at %s (the token's actions menu → Edit). %s Check too that %s may push to %s (the account owns the repository, or is in a team with Read & Write on it).",
			dockerHubTokens, kept, j.cfg.Username, img.Repository)
	}
	return fmt.Sprintf("Check that %s may push to %s on Docker Hub (the account owns the repository, or is in a team with Read & Write on it), and that the access token has Repo Read & Write access: a Repo Read-only or Repo Public Read-only token cannot push, and its permission can be edited to Repo Read & Write at %s, keeping its value. If %s is not the Docker ID (an e-mail address), set it to the Docker ID.",
		j.cfg.Username, img.Repository, dockerHubTokens, j.input(config.InUsername))
}
