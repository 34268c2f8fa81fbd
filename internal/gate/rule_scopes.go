package gate

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/config"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules about classic scopes.

func (j *judge) scopes(a facts.Account) {
	v := j.v
	required := j.cfg.RequiredScopes
	switch {
	case v.Kind == token.Installation:
		v.check("Scopes", NotApplicable, "installation tokens have permissions, not scopes")
		text := fmt.Sprintf("%s is an installation token (such as GITHUB_TOKEN): scopes do not apply; its rights come from the workflow's `permissions:`.", j.name)
		if token.NeedsPackages(required) && len(j.cfg.Packages) == 0 {
			text += " To prove it may push, list the images in " + j.input(config.InPackages) + ", and grant `permissions: packages: write`."
		}
		v.add(CodeScopesNotApply, Notice, "Scopes do not apply", text)
	case !a.ScopesReported && len(required) == 0:
		v.check("Scopes", Skipped, "required-scopes is empty")
	case !a.ScopesReported && j.wrongForPackages() && j.registryTookIt():
		v.check("Scopes", NotApplicable, "this kind has permissions, not scopes; the registry accepted it")
	case !a.ScopesReported && classicLike(v.Kind):
		// GitHub always answers a classic or OAuth token with
		// X-OAuth-Scopes, empty when it has none (docs/facts.md, "Headers").
		// Its absence means something between here and GitHub stripped it:
		// fail closed.
		v.check("Scopes", Unverified, "X-OAuth-Scopes missing from GitHub's answer")
		v.add(CodeScopesStripped, Error, "Scopes not verified", fmt.Sprintf("GitHub's answer for %s, a %s, carried no X-OAuth-Scopes header, which GitHub always sends for this kind, so %s (%s) could not be verified. Something between here and GitHub (a proxy, a mirror) removed it. Check %s (%s) and any proxy, then %s.",
			j.name, v.Kind.Describe(), j.input(config.InRequiredScopes), strings.Join(required, ", "), j.input(config.InAPIURL), j.cfg.APIURL.Redacted(), j.again()))
	case !a.ScopesReported && j.wrongForPackages():
		// Already an error: this kind cannot use GitHub Packages at all.
		v.check("Scopes", Fail, "this kind has no scopes")
	case !a.ScopesReported:
		v.check("Scopes", Unverified, "GitHub reports no scopes for this kind")
		v.add(CodeScopesUnverifiable, Notice, "Scopes not verifiable", fmt.Sprintf("%s is a %s, for which GitHub reports permissions, not scopes, so %s (%s) could not be verified.",
			j.name, v.Kind.Describe(), j.input(config.InRequiredScopes), strings.Join(required, ", ")))
	case len(required) == 0:
		v.check("Scopes", Skipped, "required-scopes is empty")
		j.highRisk()
	default:
		v.MissingScopes = token.Missing(required, a.Scopes)
		if len(v.MissingScopes) == 0 {
			v.check("Scopes", Pass, "has "+strings.Join(required, ", "))
		} else {
			v.check("Scopes", Fail, "missing "+strings.Join(v.MissingScopes, ", "))
			granted := "no scopes"
			if len(a.Scopes) > 0 {
				granted = strings.Join(a.Scopes, ", ")
			}
			v.add(CodeMissingScopes, Error, "Missing scopes", fmt.Sprintf("%s lacks %s (it has %s). %s",
				j.name, scopeWords(v.MissingScopes), granted, j.addScopesFix()))
		}
		j.highRisk()
	}
}

func (j *judge) addScopesFix() string {
	if j.v.Kind == token.OAuth {
		return "Authorize the OAuth app again, asking for the missing scopes."
	}
	return fmt.Sprintf("Edit the token at %s and tick %s; a classic token keeps its value when its scopes change, so the secret %s need not be updated. Or create a new one with every scope: %s.",
		j.links.Tokens(), scopeWords(j.v.MissingScopes), j.name, j.links.NewClassicToken(j.replacementScopes(), j.name))
}

func (j *judge) highRisk() {
	risky := token.Unrequested(j.cfg.RequiredScopes, j.v.Scopes)
	if len(risky) == 0 {
		return
	}
	j.v.add(CodeHighRiskScopes, Warning, "High-risk scopes granted", fmt.Sprintf("%s grants %s, which this gate does not require. If the pipeline does not need them, remove them at %s (least privilege: a leaked token can do only what its scopes allow).",
		j.name, scopeWords(risky), j.links.Tokens()))
}
