package gate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/token-gate/token-gate/internal/config"

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
		lock   *facts.LockoutError
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
	case errors.As(err, &lock):
		v.check("Credentials", Unverified, "GitHub locked the account's logins out")
		j.lockoutFinding(lock)
	case errors.As(err, &down):
		v.check("Credentials", Unverified, "GitHub unreachable")
		v.add(CodeGitHubUnreachable, Error, "GitHub unreachable", fmt.Sprintf("%s could not be checked: %v. The token's validity is unknown, not bad. %s; if it persists, check https://www.githubstatus.com or %s (%s).",
			j.name, down, capitalize(j.again()), j.input(config.InAPIURL), j.cfg.APIURL.Redacted()))
	case errors.As(err, &odd):
		v.check("Credentials", Unverified, "unexpected answer")
		v.add(CodeUnexpectedAnswer, Error, "Unexpected answer from api-url", fmt.Sprintf("%s could not be checked: %v. That is not GitHub's API speaking (a captive portal, a proxy's page, a truncated answer), so the token's validity is unknown, not bad. Check %s (%s) and any proxy between here and GitHub, then %s.",
			j.name, odd, j.input(config.InAPIURL), j.cfg.APIURL.Redacted(), j.again()))
	case errors.As(err, &api) && api.Status == 404:
		v.check("Credentials", Unverified, "404 from the API")
		v.add(CodeWrongAPIURL, Error, "Wrong api-url", fmt.Sprintf("GitHub answered 404 for %s at %s%s, so %s does not point at the GitHub REST API. Use https://api.github.com, https://api.SUBDOMAIN.ghe.com for GHE.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
			api.URL, j.cfg.APIURL.Redacted(), facts.RequestIDNote(api.RequestID), j.input(config.InAPIURL)))
	case errors.As(err, &api):
		v.check("Credentials", Fail, fmt.Sprintf("%d %s", api.Status, facts.StatusText(api.Status)))
		v.add(CodeGitHubRefused, Error, "GitHub refused the token", fmt.Sprintf("GitHub answered %d for %s: %s%s. Check that %s is the token you meant. %s",
			api.Status, api.URL, facts.Quote(api.Message), facts.RequestIDNote(api.RequestID), j.name, j.updateSecret()))
	case errors.As(err, &refuse):
		v.check("Credentials", Unverified, "refused to send")
		v.add(CodeNotSent, Error, "Token not sent", refuse.Reason+". token-gate sends the token only to the "+j.input(config.InAPIURL)+" host, over HTTPS (plain HTTP only to loopback hosts); check "+j.input(config.InAPIURL)+" and any redirect it answers with.")
	default:
		v.check("Credentials", Unverified, "error")
		v.add(CodeGitHubUnreachable, Error, "GitHub check failed", fmt.Sprintf("%s could not be checked: %v", j.name, err))
	}
}

// ssoFinding tells how to authorize the token for the organization's SAML
// SSO. The URL GitHub sends is valid for one hour (docs/facts.md, "Headers");
// it is linked only when it is on the server's own host.
func (j *judge) ssoFinding(sso *facts.SSOError) {
	org := "the organization"
	if sso.Org != "" {
		org = "the organization " + sso.Org
	}
	where := j.ssoLater(sso.Org)
	if j.links.OnServer(sso.AuthorizeURL) {
		where = sso.AuthorizeURL + " (the link is valid for one hour; afterwards use " + where + ")"
	}
	j.v.add(CodeSSO, Error, "Token not authorized for SSO", fmt.Sprintf("%s is not authorized for the SAML single sign-on of %s, so GitHub refuses it there (403%s). Authorize it at %s. The secret itself need not change.",
		j.name, org, facts.RequestIDNote(sso.RequestID), where))
}

// ssoLater is where a token is authorized for SSO without GitHub's link.
func (j *judge) ssoLater(org string) string {
	later := j.links.Tokens() + " → Configure SSO → Authorize"
	if org != "" {
		later += " next to " + org
	}
	return later
}

// lockoutFinding reports GitHub's failed-login limit: after several
// requests with wrong credentials GitHub refuses every login of the account
// for a while, good credentials included, so the answer says nothing about
// this token and blames some other credential of the same account
// (docs/facts.md, "Error answers").
func (j *judge) lockoutFinding(l *facts.LockoutError) {
	j.v.add(CodeGitHubLockout, Error, "GitHub locked the account's logins out", fmt.Sprintf("%s could not be checked: GitHub answered %d%s: %s. GitHub refuses every login of an account for a while after several requests with wrong credentials, valid tokens included, so this says nothing about %s itself: some job, script or machine is sending a wrong credential for the same account (an old token left in another workflow or secret, a poller, a developer's machine). Find it and fix it, wait for the lockout to pass, then %s.",
		j.name, l.Status, facts.RequestIDNote(l.RequestID), facts.Quote(l.Message), j.name, j.again()))
}

// policyFinding explains an organization's or an enterprise's policy that
// refuses the token. GHCR takes no fine-grained PAT, so a ban on classic PATs
// leaves two ways out (docs/facts.md, "Error answers" and "GitHub
// Packages"). An enterprise's policy binds every organization it owns, and
// only the enterprise's owners can change it.
func (j *judge) policyFinding(p *facts.PolicyError) {
	who, owners := policyWords(p)
	setter := "Organization"
	if p.Enterprise {
		setter = "Enterprise"
	}
	switch p.Kind {
	case facts.PolicyNoClassicPAT:
		j.v.add(CodeOrgPolicy, Error, setter+" forbids classic tokens", fmt.Sprintf("%s forbids access via a personal access token (classic), so GitHub refuses %s there whatever its scopes (403%s: %s). This is %s's policy, not a fault of the token. GitHub Packages accepts no fine-grained token, so either %s allows classic tokens (%s), or the workflow pushes with GITHUB_TOKEN and `permissions: packages: write` for packages linked to its repository.",
			atStart(who), j.name, facts.RequestIDNote(p.RequestID), facts.Quote(p.Message), who, owners, classicPolicyPlace(p)))
	case facts.PolicyNoFineGrainedPAT:
		j.v.add(CodeOrgPolicy, Error, setter+" forbids fine-grained tokens", fmt.Sprintf("%s forbids access via a fine-grained personal access token, so GitHub refuses %s there (403%s: %s). This is %s's policy, not a fault of the token: push with a classic PAT with write:packages (%s), if it allows those, or with GITHUB_TOKEN and `permissions: packages: write`.",
			atStart(who), j.name, facts.RequestIDNote(p.RequestID), facts.Quote(p.Message), who, j.links.NewClassicToken(j.replacementScopes(), j.name)))
	case facts.PolicyLifetime:
		limit := fmt.Sprintf("%s's maximum", who)
		if p.MaxDays > 0 {
			limit = fmt.Sprintf("%d days", p.MaxDays)
		}
		where := j.links.Tokens()
		if !p.Classic {
			where = j.links.Server + "/settings/personal-access-tokens"
		}
		if j.links.OnServer(p.SettingsURL) {
			where = p.SettingsURL
		}
		kind := "fine-grained personal access tokens"
		if p.Classic {
			kind = "personal access tokens (classic)"
		}
		changed := ""
		if p.Enterprise {
			changed = fmt.Sprintf(" The limit is %s's policy: only its owners can change it (the enterprise's Policies → Personal access tokens), not an organization owner.", who)
		}
		j.v.add(CodeLifetimePolicy, Error, "Token lifetime exceeds the "+strings.ToLower(setter)+"'s limit", fmt.Sprintf("%s refuses %s because it allows %s to live at most %s, and this one lives longer (403%s: %s). Regenerate it at %s with an expiry of at most %s. %s%s",
			atStart(who), j.name, kind, limit, facts.RequestIDNote(p.RequestID), facts.Quote(p.Message), where, limit, j.updateSecret(), changed))
	}
}

// policyWords names who set a policy and who can change it: the
// organization and its owners, or the enterprise and the enterprise's
// owners (docs/facts.md, "Error answers").
func policyWords(p *facts.PolicyError) (who, owners string) {
	switch {
	case p.Enterprise && p.Org != "":
		return "the enterprise " + p.Org, "an owner of the enterprise " + p.Org
	case p.Enterprise:
		return "the enterprise", "an owner of the enterprise"
	case p.Org != "":
		return p.Org, "an owner of " + p.Org
	}
	return "the organization", "an owner of the organization"
}

// atStart puts words at the start of a sentence: "the enterprise X" becomes
// "The enterprise X", and a name is left as it is spelled.
func atStart(who string) string {
	if rest, ok := strings.CutPrefix(who, "the "); ok {
		return "The " + rest
	}
	return who
}

// classicPolicyPlace is where the classic-token policy is changed: an
// organization's settings, or the enterprise's policies, which no
// organization can override.
func classicPolicyPlace(p *facts.PolicyError) string {
	if p.Enterprise {
		return "the enterprise's Policies → Personal access tokens → Tokens (classic); no organization can override it"
	}
	return "Settings → Personal access tokens → allow access via personal access tokens (classic)"
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
	return fmt.Sprintf("GitHub's %s rate limit stopped the check of %s (%d%s). This says nothing about the token itself, which may be fine.%s %s after the reset.",
		kind, j.name, rl.Status, facts.RequestIDNote(rl.RequestID), when, capitalize(j.again()))
}

// classicLike reports kinds for which GitHub always sends X-OAuth-Scopes.
func classicLike(k token.Kind) bool { return k == token.ClassicPAT || k == token.OAuth }
