package gate

import (
	"fmt"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules for a credential of a registry other than GitHub's: no GitHub
// request, so scopes, SSO and GitHub's expiry header do not apply; the
// registry's token service decides validity (docs/facts.md, "Docker Hub").

// dockerHubTokens is where Docker Hub access tokens are made.
const dockerHubTokens = "https://app.docker.com/settings/personal-access-tokens"

func (j *judge) registryCredential() {
	v := j.v
	v.check("Token kind", Pass, v.Kind.Describe())
	if j.cfg.ScopesIgnored {
		v.add(CodeScopesIgnored, Notice, "required-scopes not applied", fmt.Sprintf("required-scopes names GitHub scopes, which do not apply to a %s; it was ignored.", v.Kind.Describe()))
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
	v.check("Expiry", Unverified, "not visible to the gate")
	v.add(CodeExpiryNotVisible, Notice, "Expiry not visible", fmt.Sprintf("%s offers no way for a token to read its own expiry, so token-gate cannot warn before %s lapses (Docker Hub access tokens may expire since 2024-11). Run this step on a weekly schedule with reminder: issue, so that a lapsed token opens an issue the day it fails rather than at the next release.",
		j.registryName(), j.name))
}

func (j *judge) registryLoginFailure(r facts.ImageResult) {
	v := j.v
	said := ""
	if r.Message != "" {
		said = fmt.Sprintf(": %q", r.Message)
	}
	answered := fmt.Sprintf("%s answered %d at the %s step%s", j.registryName(), r.Status, r.Step, said)
	switch r.Outcome {
	case facts.Denied:
		v.check("Credentials", Fail, fmt.Sprintf("%d at the %s step", r.Status, r.Step))
		v.add(CodeBadRegistryLogin, Error, "Registry credentials refused", fmt.Sprintf("%s for the user %s was refused: %s. The token is wrong, expired or revoked, or the username is not the account it belongs to. %s",
			j.name, j.cfg.Username, answered, j.registryFix()))
	case facts.RateLimited:
		v.check("Credentials", Unverified, "rate limited")
		v.add(CodeRegistryRateLimit, Error, "Registry rate limit", fmt.Sprintf("%s could not be checked: %s. A rate limit, not a bad token; re-run the job later.", j.name, answered))
	case facts.Unreachable:
		detail := answered
		if r.Status == 0 {
			detail = fmt.Sprintf("%s failed at the %s step: %s", j.registryName(), r.Step, r.Message)
		}
		v.check("Credentials", Unverified, "registry unreachable")
		v.add(CodeRegistryDown, Error, "Registry unreachable", fmt.Sprintf("%s could not be checked: %s. This says nothing about the token; re-run the job.", j.name, detail))
	default:
		detail := answered
		if r.Status == 0 {
			detail = r.Message
		}
		v.check("Credentials", Unverified, "unexpected answer")
		v.add(CodeUnexpectedAnswer, Error, "Unexpected answer from the registry", fmt.Sprintf("%s could not be checked: %s. The token's validity is unknown, not bad; check the registry input (%s).", j.name, detail, j.cfg.Registry))
	}
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
	where := "Issue a new access token at " + j.cfg.Registry
	if j.cfg.Registry == image.DockerHub {
		where = "Check that username is the Docker ID (not the e-mail address), or create a new personal access token with Read & Write access at " + dockerHubTokens
	}
	return fmt.Sprintf("%s, then update the secret %s at %s.", where, j.name, j.links.Secrets())
}

// whyDeniedRegistry is the fix for an image a registry credential may not
// push to.
func (j *judge) whyDeniedRegistry(img image.Image) string {
	access := "the access token may write"
	if j.v.Kind == token.DockerHubPAT || j.cfg.Registry == image.DockerHub {
		access = "the access token has Read & Write access (Read-only and Public Repo Read-only tokens cannot push; an organization access token must list the repository)"
	}
	return fmt.Sprintf("Check that %s may push to %s on %s (for Docker Hub, the account owns the repository or is in a team with Read & Write on it), and that %s. %s",
		j.cfg.Username, img.Repository, j.registryName(), access, j.registryFix())
}
