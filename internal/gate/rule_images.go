package gate

import (
	"errors"
	"fmt"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules about the push probe of each image, and the diagnosis of a refusal.

func (j *judge) images() {
	if len(j.cfg.Packages) == 0 {
		return
	}
	if j.in.Facts.Images == nil {
		// Every listed image gets a row, even when the token never got as
		// far as the probe (empty, malformed, a refresh token, revoked).
		why := ProbeBlocker(j.cfg, j.in.Entry, j.in.Facts.GitHub, j.in.Facts.Login)
		if why == "" {
			why = "not probed"
		}
		for _, img := range j.cfg.Packages {
			j.v.Images = append(j.v.Images, facts.ImageResult{Image: img, Outcome: facts.NotProbed, Message: why})
		}
		return
	}
	j.v.Images = j.in.Facts.Images
	reported := map[string]bool{} // organizations whose SSO or policy finding is out
	for _, r := range j.v.Images {
		j.image(r, j.in.Facts.Diagnoses[r.Image.String()], reported)
	}
}

func (j *judge) image(r facts.ImageResult, d facts.Diagnosis, reported map[string]bool) {
	v := j.v
	said := ""
	if r.Message != "" {
		said = fmt.Sprintf(": %q", r.Message)
	}
	answered := fmt.Sprintf("the registry answered %d at the %s step%s", r.Status, r.Step, said)
	switch r.Outcome {
	case facts.Pushable, facts.NotProbed:
	case facts.Denied:
		why := ""
		if j.cfg.OtherRegistry() {
			why = j.whyDeniedRegistry(r.Image)
		} else {
			why = j.whyDenied(r.Image, d, reported)
		}
		v.add(CodeCannotPush, Error, "Cannot push "+r.Image.String(), fmt.Sprintf("%s may not push to %s: %s. %s", j.name, r.Image, answered, why))
	case facts.Unreachable:
		detail := answered
		if r.Status == 0 {
			detail = fmt.Sprintf("%s failed at the %s step: %s", r.Image.Registry, r.Step, r.Message)
		}
		v.add(CodeRegistryDown, Error, "Registry unreachable", fmt.Sprintf("Push rights of %s to %s were not verified: %s. This says nothing about the token; re-run the job.", j.name, r.Image, detail))
	case facts.RateLimited:
		v.add(CodeRegistryRateLimit, Error, "Registry rate limit", fmt.Sprintf("Push rights of %s to %s were not verified: %s. A rate limit, not a bad token; re-run the job later.", j.name, r.Image, answered))
	default:
		detail := answered
		if r.Status == 0 {
			detail = r.Message
		}
		v.add(CodePushNotProven, Error, "Push rights not proven", fmt.Sprintf("token-gate could not prove that %s may push to %s: %s. A push would meet the same answer; check the image name and the registry.",
			j.name, r.Image, detail))
	}
}

// whyDenied turns GitHub's answer about the refused image's package into the
// cause and the fix (docs/facts.md, "Where organization rules bite").
func (j *judge) whyDenied(img image.Image, d facts.Diagnosis, reported map[string]bool) string {
	var (
		sso    *facts.SSOError
		policy *facts.PolicyError
		api    *facts.APIError
	)
	settings := j.links.PackageSettingsWords(img)
	switch {
	case errors.As(d.Err, &sso):
		if !reported[img.Owner()] {
			reported[img.Owner()] = true
			j.ssoFinding(sso)
		}
		return fmt.Sprintf("GitHub says why: the SAML single sign-on of %s has not authorized %s (see \"Token not authorized for SSO\").", img.Owner(), j.name)
	case errors.As(d.Err, &policy):
		if !reported[img.Owner()] {
			reported[img.Owner()] = true
			j.policyFinding(policy)
		}
		return fmt.Sprintf("GitHub says why: a policy of %s refuses this token (see the organization's finding).", img.Owner())
	case d.Found && j.v.Kind == token.Installation:
		return fmt.Sprintf("The package exists and this token can read it, so the refusal is about write access: grant the job `permissions: packages: write`, and add this repository under the package's \"Manage Actions access\" at %s.", settings)
	case d.Found:
		return fmt.Sprintf("The package exists and the account can read it, so the refusal is about write access: give the account write access under the package's \"Manage access\" at %s, and make sure the token has write:packages.", settings)
	case errors.As(d.Err, &api) && api.Status == 404 && j.v.Kind == token.Installation:
		return fmt.Sprintf("GitHub says the package does not exist or this token cannot see it (404%s). If it does not exist yet, the first push creates it: grant the job `permissions: packages: write`. If it exists, add this repository under the package's \"Manage Actions access\" at %s.",
			facts.RequestIDNote(api.RequestID), settings)
	case errors.As(d.Err, &api) && api.Status == 404:
		return fmt.Sprintf("GitHub says the package does not exist or the account cannot see it (404%s). If it does not exist yet, the first push creates it, which needs a token with write:packages from an account allowed to create packages in %s (for an organization, a member permitted to publish packages). If it exists, an admin of the package must grant the account access under \"Manage access\" at %s.",
			facts.RequestIDNote(api.RequestID), img.Owner(), settings)
	case j.v.Kind == token.Installation:
		return fmt.Sprintf("Grant the job `permissions: packages: write`, and add this repository under the package's \"Manage Actions access\" at %s (needed for a package first pushed by hand or from another repository).", settings)
	}
	return fmt.Sprintf("Check, in order: the token has write:packages (%s); the account has write access to the package (\"Manage access\" at %s); the token is authorized for the organization's SSO (%s → Configure SSO); or create a new token (%s) and update the secret %s at %s.",
		j.links.Tokens(), settings, j.links.Tokens(), j.links.NewClassicToken(j.replacementScopes(), j.name), j.name, j.links.Secrets())
}

// ssoRow says in the check table what is known of SSO and organization
// policies, which bite only on the organization's own resources: without
// images to ask about, nothing is (docs/facts.md, "Where organization rules
// bite").
func (j *judge) ssoRow() {
	const name = "SSO and org policy"
	v := j.v
	switch {
	case v.Has(CodeSSO) || v.Has(CodeOrgPolicy) || v.Has(CodeLifetimePolicy):
		// The credentials row already failed on it; the images judge it
		// below. Either way the finding says it.
		v.check(name, Fail, "refused by an organization's SSO or policy")
		return
	case v.Kind == token.Installation:
		v.check(name, NotApplicable, "GITHUB_TOKEN is not subject to SSO or PAT policies")
		return
	case len(j.cfg.Packages) == 0:
		v.check(name, Skipped, "not checked; list the images in `packages`")
		return
	}
	fs := j.in.Facts
	if fs.Images == nil {
		v.check(name, Skipped, "not checked: the images were not probed")
		return
	}
	denied, asked, pushable := 0, 0, 0
	for _, r := range fs.Images {
		if r.Outcome == facts.Pushable {
			pushable++
		}
		if r.Outcome != facts.Denied {
			continue
		}
		denied++
		d, ok := fs.Diagnoses[r.Image.String()]
		var sso *facts.SSOError
		var policy *facts.PolicyError
		switch {
		case ok && errors.As(d.Err, &sso):
			v.check(name, Fail, "the SAML SSO of "+r.Image.Owner()+" has not authorized the token")
			return
		case ok && errors.As(d.Err, &policy):
			v.check(name, Fail, "a policy of "+r.Image.Owner()+" refuses the token")
			return
		case ok && (d.Found || d.Err != nil && isNotFound(d.Err)):
			asked++
		}
	}
	switch {
	case pushable == len(fs.Images):
		v.check(name, Pass, "every image accepted the token")
	case denied == 0:
		v.check(name, Unverified, "not every image could be probed")
	case asked == denied:
		v.check(name, Pass, "GitHub reports no SSO or policy refusal for the refused images")
	default:
		v.check(name, Unverified, "GitHub could not be asked why the registry refused")
	}
}

func isNotFound(err error) bool {
	var api *facts.APIError
	return errors.As(err, &api) && api.Status == 404
}
