package gate

import (
	"errors"
	"fmt"
	"time"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules about GitHub's answer to the inspecting request.

func isBadCredentials(err error) bool {
	var bad *facts.BadCredentialsError
	return errors.As(err, &bad)
}

func (j *judge) github(g facts.GitHub) {
	if g.Err != nil {
		j.githubFailure(g.Err)
		return
	}
	a := g.Account
	v := j.v
	v.Login = a.Login
	v.Scopes = a.Scopes
	v.ScopesReported = a.ScopesReported
	if a.RateLimitingOff {
		v.check("Credentials", Pass, "GET "+a.Endpoint+" answered 404 Rate limiting is not enabled (GHES): authenticated")
	} else {
		v.check("Credentials", Pass, "GET "+a.Endpoint+" answered 200")
	}
	j.scopes(a)
	j.expiry(a)
}

func (j *judge) githubFailure(err error) {
	v := j.v
	var (
		bad    *facts.BadCredentialsError
		sso    *facts.SSOError
		policy *facts.PolicyError
		rl     *facts.RateLimitError
		down   *facts.UnreachableError
		odd    *facts.UnexpectedAnswerError
		api    *facts.APIError
		refuse *facts.RefusedError
	)
	switch {
	case errors.As(err, &bad):
		v.check("Credentials", Fail, "401 Bad credentials")
		v.add(CodeBadCredentials, Error, "Token expired or revoked", fmt.Sprintf("%s is expired or revoked: %s. %s", j.name, bad, j.renew()))
	case errors.As(err, &sso):
		v.check("Credentials", Fail, "403 SAML SSO authorization required")
		j.ssoFinding(sso)
	case errors.As(err, &policy):
		v.check("Credentials", Fail, "403 organization policy")
		j.policyFinding(policy)
	case errors.As(err, &rl):
		v.check("Credentials", Unverified, "rate limited")
		v.add(CodeRateLimit, Error, "GitHub rate limit", j.rateLimitText(rl))
	case errors.As(err, &down):
		v.check("Credentials", Unverified, "GitHub unreachable")
		v.add(CodeGitHubUnreachable, Error, "GitHub unreachable", fmt.Sprintf("%s could not be checked: %v. The token's validity is unknown, not bad. Re-run the job; if it persists, check https://www.githubstatus.com or the api-url (%s).",
			j.name, down, j.cfg.APIURL.Redacted()))
	case errors.As(err, &odd):
		v.check("Credentials", Unverified, "unexpected answer")
		v.add(CodeUnexpectedAnswer, Error, "Unexpected answer from api-url", fmt.Sprintf("%s could not be checked: %v. That is not GitHub's API speaking (a captive portal, a proxy's page, a truncated answer), so the token's validity is unknown, not bad. Check api-url (%s) and any proxy between the runner and GitHub, then re-run.",
			j.name, odd, j.cfg.APIURL.Redacted()))
	case errors.As(err, &api) && api.Status == 404:
		v.check("Credentials", Unverified, "404 from the API")
		v.add(CodeWrongAPIURL, Error, "Wrong api-url", fmt.Sprintf("GitHub answered 404 for %s at %s%s, so api-url does not point at the GitHub REST API. Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
			api.URL, j.cfg.APIURL.Redacted(), facts.RequestIDNote(api.RequestID)))
	case errors.As(err, &api):
		v.check("Credentials", Fail, fmt.Sprintf("%d %s", api.Status, facts.StatusText(api.Status)))
		v.add(CodeGitHubRefused, Error, "GitHub refused the token", fmt.Sprintf("GitHub answered %d for %s: %q%s. Check that %s is the token you meant, then update the secret %s at %s.",
			api.Status, api.URL, api.Message, facts.RequestIDNote(api.RequestID), j.name, j.name, j.links.Secrets()))
	case errors.As(err, &refuse):
		v.check("Credentials", Unverified, "refused to send")
		v.add(CodeNotSent, Error, "Token not sent", refuse.Reason+". token-gate sends the token only to the api-url host, over HTTPS (plain HTTP only to loopback hosts); check api-url and any redirect it answers with.")
	default:
		v.check("Credentials", Unverified, "error")
		v.add(CodeGitHubUnreachable, Error, "GitHub check failed", fmt.Sprintf("%s could not be checked: %v", j.name, err))
	}
}

// ssoFinding tells how to authorize the token for the organization's SAML
// SSO. The URL GitHub sends is valid for one hour (docs/facts.md, "Headers").
func (j *judge) ssoFinding(sso *facts.SSOError) {
	org := "the organization"
	if sso.Org != "" {
		org = "the organization " + sso.Org
	}
	later := j.links.Tokens() + " → Configure SSO → Authorize"
	if sso.Org != "" {
		later += " next to " + sso.Org
	}
	where := later
	if sso.AuthorizeURL != "" {
		where = sso.AuthorizeURL + " (the link is valid for one hour; afterwards use " + later + ")"
	}
	j.v.add(CodeSSO, Error, "Token not authorized for SSO", fmt.Sprintf("%s is not authorized for the SAML single sign-on of %s, so GitHub refuses it there (403%s). Authorize it at %s. The secret itself need not change.",
		j.name, org, facts.RequestIDNote(sso.RequestID), where))
}

// policyFinding explains an organization policy that refuses the token. GHCR
// takes no fine-grained PAT, so a ban on classic PATs leaves two ways out
// (docs/facts.md, "Error answers" and "GitHub Packages").
func (j *judge) policyFinding(p *facts.PolicyError) {
	org := p.Org
	if org == "" {
		org = "The organization"
	}
	switch p.Kind {
	case facts.PolicyNoClassicPAT:
		j.v.add(CodeOrgPolicy, Error, "Organization forbids classic tokens", fmt.Sprintf("%s forbids access via a personal access token (classic), so GitHub refuses %s there whatever its scopes (403%s: %q). This is the organization's policy, not a fault of the token. GitHub Packages accepts no fine-grained token, so either an owner of %s allows classic tokens (Settings → Personal access tokens → allow access via personal access tokens (classic)), or the workflow pushes with GITHUB_TOKEN and `permissions: packages: write` for packages linked to its repository.",
			org, j.name, facts.RequestIDNote(p.RequestID), p.Message, org))
	case facts.PolicyLifetime:
		limit := "the organization's maximum"
		if p.MaxDays > 0 {
			limit = fmt.Sprintf("%d days", p.MaxDays)
		}
		j.v.add(CodeLifetimePolicy, Error, "Token lifetime exceeds the organization's limit", fmt.Sprintf("%s refuses %s because its lifetime is longer than %s (403%s: %q). Regenerate it with an expiry of at most %s and update the secret %s at %s.",
			org, j.name, limit, facts.RequestIDNote(p.RequestID), p.Message, limit, j.name, j.links.Secrets()))
	}
}

func (j *judge) rateLimitText(rl *facts.RateLimitError) string {
	kind := "primary"
	if rl.Secondary {
		kind = "secondary"
	}
	when := ""
	switch {
	case !rl.Reset.IsZero():
		wait := rl.Reset.Sub(j.now).Round(time.Second)
		when = fmt.Sprintf(" It resets at %s (in %s).", rl.Reset.UTC().Format(time.RFC3339), max(wait, 0))
	case rl.RetryAfter > 0:
		when = fmt.Sprintf(" GitHub asks to wait %s.", rl.RetryAfter)
	case rl.Secondary:
		when = " GitHub gave no wait; wait at least a minute."
	}
	return fmt.Sprintf("GitHub's %s rate limit stopped the check of %s (%d%s). This says nothing about the token itself, which may be fine.%s Re-run the job after the reset.",
		kind, j.name, rl.Status, facts.RequestIDNote(rl.RequestID), when)
}

// classicLike reports kinds for which GitHub always sends X-OAuth-Scopes.
func classicLike(k token.Kind) bool { return k == token.ClassicPAT || k == token.OAuth }
