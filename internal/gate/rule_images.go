package gate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/config"
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
	reported := map[string]bool{} // owners whose SSO or policy finding is out
	for _, r := range j.v.Images {
		j.image(r, j.in.Facts.Diagnoses[r.Image.String()], reported)
	}
}

// answered quotes what the registry said at the step where the probe
// stopped; the words are already redacted and cut (facts.Token.Scrubbed).
func answered(who string, r facts.ImageResult) string {
	said := ""
	if r.Message != "" {
		said = ": " + facts.Quote(r.Message)
	}
	return fmt.Sprintf("%s answered %d at the %s step%s", who, r.Status, r.Step, said)
}

func (j *judge) image(r facts.ImageResult, d facts.Diagnosis, reported map[string]bool) {
	v := j.v
	said := answered("the registry", r)
	switch r.Outcome {
	case facts.Pushable, facts.NotProbed:
	case facts.Denied:
		why := ""
		if j.cfg.OtherRegistry() {
			why = j.whyDeniedRegistry(r)
		} else {
			why = j.whyDenied(r, d, reported)
		}
		v.add(CodeCannotPush, Error, "Cannot push "+r.Image.String(), fmt.Sprintf("%s may not push to %s: %s. %s", j.name, r.Image, said, why))
	case facts.Unreachable:
		detail := said
		if r.Status == 0 {
			detail = fmt.Sprintf("%s failed at the %s step: %s", image.DisplayHost(r.Image.Registry), r.Step, r.Message)
		}
		v.add(CodeRegistryDown, Error, "Registry unreachable", fmt.Sprintf("Push rights of %s to %s were not verified: %s. This says nothing about the token; %s.", j.name, r.Image, detail, j.again()))
	case facts.RateLimited:
		if isLockout(r) {
			j.lockout(r, fmt.Sprintf("Push rights of %s to %s were not verified", j.name, r.Image))
			return
		}
		v.add(CodeRegistryRateLimit, Error, "Registry rate limit", fmt.Sprintf("Push rights of %s to %s were not verified: %s. A rate limit, not a bad token; %s later.", j.name, r.Image, said, j.again()))
	default:
		detail := said
		if r.Status == 0 {
			detail = r.Message
		}
		next := "A push would meet the same answer; check the image name and the registry."
		if r.Step == "challenge" {
			next = fmt.Sprintf("No credential had been sent yet, so this says nothing about the token; check the way to %s (a proxy, a firewall, a geo-block) and the registry's name.", image.DisplayHost(r.Image.Registry))
		}
		v.add(CodePushNotProven, Error, "Push rights not proven", fmt.Sprintf("token-gate could not prove that %s may push to %s: %s. %s",
			j.name, r.Image, detail, next))
	}
}

// isLockout reports Docker Hub's lockout after failed logins, which it words
// as a rate limit (docker/hub-feedback#2217; docs/facts.md, "Docker Hub").
func isLockout(r facts.ImageResult) bool {
	return r.Outcome == facts.RateLimited && strings.Contains(strings.ToLower(r.Message), "failed login attempts")
}

// lockout reports the registry's lockout: not a verdict on this credential,
// but proof that some credential for the account is wrong.
func (j *judge) lockout(r facts.ImageResult, what string) {
	j.v.add(CodeRegistryLockout, Error, "Registry locked the account out", fmt.Sprintf("%s: %s. The registry locks an account or address out for a while after too many logins with wrong credentials, so some job or machine is using a wrong credential for %s (not necessarily %s). Find it and fix it (an old token left in another workflow, a poller, a developer's machine), wait about 15 minutes, then %s.",
		what, answered(image.DisplayHost(r.Image.Registry), r), j.accountWords(), j.name, j.again()))
}

// accountWords names the account a registry credential logs in as.
func (j *judge) accountWords() string {
	if j.cfg.Username != "" {
		return "the account " + j.cfg.Username
	}
	return "this account"
}

// whyDenied turns GitHub's answer about the refused image's package into the
// cause and the fix (docs/facts.md, "Where organization rules bite").
func (j *judge) whyDenied(r facts.ImageResult, d facts.Diagnosis, reported map[string]bool) string {
	var (
		sso    *facts.SSOError
		policy *facts.PolicyError
		lock   *facts.LockoutError
	)
	img := r.Image
	settings := j.links.PackageSettingsWords(img, d.Owner)
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
		if policy.Enterprise {
			who, _ := policyWords(policy)
			return fmt.Sprintf("GitHub says why: a policy of %s, to which %s belongs, refuses this token (see the enterprise's finding).", who, img.Owner())
		}
		return fmt.Sprintf("GitHub says why: a policy of %s refuses this token (see the organization's finding).", img.Owner())
	case errors.As(d.Err, &lock):
		if !j.v.Has(CodeGitHubLockout) {
			j.lockoutFinding(lock)
		}
		return "GitHub could not say why: it is refusing every login of the account after too many failed ones (see \"GitHub locked the account's logins out\")."
	case d.Owner == facts.OwnerMissing:
		return fmt.Sprintf("GitHub has no user or organization named %s, so there is no namespace to push to: check the image name.", img.Owner())
	case j.v.Kind == token.Installation:
		return j.installationWords(r, d, settings)
	case d.Owner == facts.OwnerUser:
		return j.otherUserWords(img, d, settings)
	case d.Found && d.Owner == facts.OwnerSelf:
		return fmt.Sprintf("The package is the account's own and it can read it, so the refusal is about the token: it needs write:packages (%s).", j.links.Tokens())
	case d.Found:
		return fmt.Sprintf("The package exists and the account can read it, so the refusal is about write access: give the account write access under the package's \"Manage access\" at %s, and make sure the token has write:packages.", settings)
	case isNotFound(d.Err) && d.Owner == facts.OwnerSelf:
		return fmt.Sprintf("The package does not exist yet in the account's own namespace, so the first push would create it; the refusal is about the token: it needs write:packages (%s).", j.links.Tokens())
	case isNotFound(d.Err):
		text := fmt.Sprintf("GitHub says the package does not exist or the account cannot see it (404%s). If it does not exist yet, the first push creates it, which needs a token with write:packages from an account allowed to create packages in %s (for an organization, a member permitted to publish packages). If it exists, an admin of the package must grant the account access under \"Manage access\" at %s.",
			requestID(d.Err), img.Owner(), settings)
		if j.ssoNotRuledOut(d) {
			text += fmt.Sprintf(" GitHub also answers 404 when %s enforces SAML single sign-on and has not authorized the token; if it does, authorize it at %s.", img.Owner(), j.ssoLater(img.Owner()))
		}
		return text
	}
	return fmt.Sprintf("Check, in order: the token has write:packages (%s); the account has write access to the package (\"Manage access\" at %s); the token is authorized for the organization's SSO (%s → Configure SSO); or create a new token (%s). %s",
		j.links.Tokens(), settings, j.links.Tokens(), j.links.NewClassicToken(j.replacementScopes(), j.name), j.updateSecret())
}

// otherUserWords explains a refusal in someone else's personal namespace:
// only that user creates packages there (docs/facts.md, "Where organization
// rules bite").
func (j *judge) otherUserWords(img image.Image, d facts.Diagnosis, settings string) string {
	account := "the token's account"
	if j.v.Login != "" {
		account = j.v.Login
	}
	if d.Found {
		return fmt.Sprintf("%s is in the personal namespace of the user %s, not of %s. The package exists and %s can read it but not write it: %s must grant %s write access under the package's \"Manage access\" at %s.",
			img, img.Owner(), account, account, img.Owner(), account, settings)
	}
	return fmt.Sprintf("%s is in the personal namespace of the user %s, not of %s, and GitHub shows %s no such package there (404%s). Only %s can create packages in that namespace, so a first push cannot come from this token: push under a namespace %s may write (its own, or an organization it publishes to), or have %s create the package and grant %s write access.",
		img, img.Owner(), account, account, requestID(d.Err), img.Owner(), account, img.Owner(), account)
}

// jobToken is what the gate knows of whether an installation token is this
// job's GITHUB_TOKEN. Nothing in the container names the job's token:
// github-token defaults to it (${{ github.token }}), but a workflow may set
// github-token to another token (a PAT or an App's token, for the issues),
// and no value says which it holds. So github-token is "the job's token"
// only as far as it may be.
type jobToken int

const (
	// jobTokenUnknown: no github-token to compare with (a terminal), or
	// github-token holds a kind that is never GITHUB_TOKEN (a PAT): it was
	// set to something else, and the job's own token is not known.
	jobTokenUnknown jobToken = iota
	// jobTokenSame: the token is github-token's own value, this job's
	// GITHUB_TOKEN when github-token keeps its default.
	jobTokenSame
	// jobTokenOther: another installation token than github-token's: a
	// GitHub App's when github-token keeps its default, and possibly this
	// job's GITHUB_TOKEN when github-token was set to an App's token.
	jobTokenOther
)

func (j *judge) jobToken() jobToken {
	gt := j.cfg.GitHubToken
	switch {
	case gt == "" || token.KindOf(gt) != token.Installation:
		return jobTokenUnknown
	case j.in.Entry.Value == gt:
		return jobTokenSame
	}
	return jobTokenOther
}

// installationWords explains a refusal of an installation token: the job's
// GITHUB_TOKEN needs permissions and "Manage Actions access"; a GitHub
// App's is refused on organization packages whatever its permissions
// (docs/facts.md, "GitHub Packages"). A token is called an App's only as
// far as github-token says so.
func (j *judge) installationWords(r facts.ImageResult, d facts.Diagnosis, settings string) string {
	job := j.jobTokenWords(d, settings)
	switch j.jobToken() {
	case jobTokenSame:
		return job
	case jobTokenOther:
		gt := j.input(config.InGitHubToken)
		return fmt.Sprintf("%s is not the token in %s. If %s keeps its default, this job's GITHUB_TOKEN, %s is a GitHub App's installation token: %s If %s was set to another token and %s is this job's GITHUB_TOKEN: %s",
			j.name, gt, gt, j.name, j.appTokenWords(r), gt, j.name, job)
	}
	if strings.Contains(r.Message, "installation not allowed to") {
		// GHCR words its refusal of an App's token, and of a GITHUB_TOKEN
		// on an organization package it may not write, alike.
		return "If this is a workflow's GITHUB_TOKEN: " + job + " If it is a GitHub App's installation token, " + j.appTokenWords(r)
	}
	return job
}

// appTokenWords: GHCR refuses GitHub App installation tokens on
// organization packages whatever the App's permissions (docs/facts.md,
// "GitHub Packages").
func (j *judge) appTokenWords(r facts.ImageResult) string {
	return fmt.Sprintf("GHCR refuses GitHub App tokens on organization packages whatever the App's permissions (\"installation not allowed to Write organization package\", or \"Create\" for a new one); no App permission or package setting changes that. Push with the job's GITHUB_TOKEN (`permissions: packages: write`, and this repository under the package's \"Manage Actions access\" at %s), or with a classic PAT with write:packages (%s).",
		j.links.PackageSettingsWords(r.Image, facts.OwnerUnknown), j.links.NewClassicToken(j.replacementScopes(), j.name))
}

// jobTokenWords explains a refusal of a workflow's GITHUB_TOKEN.
func (j *judge) jobTokenWords(d facts.Diagnosis, settings string) string {
	switch {
	case d.Found:
		return fmt.Sprintf("The package exists and this token can read it, so the refusal is about write access: grant the job `permissions: packages: write`, and add this repository under the package's \"Manage Actions access\" at %s.", settings)
	case isNotFound(d.Err):
		return fmt.Sprintf("GitHub says the package does not exist or this token cannot see it (404%s). If it does not exist yet, the first push creates it: grant the job `permissions: packages: write`. If it exists, add this repository under the package's \"Manage Actions access\" at %s.",
			requestID(d.Err), settings)
	}
	return fmt.Sprintf("Grant the job `permissions: packages: write`, and add this repository under the package's \"Manage Actions access\" at %s (needed for a package first pushed by hand or from another repository).", settings)
}

// ssoNotRuledOut reports a 404 that SAML SSO may be behind: GitHub's SAML
// docs say a token it has not authorized "may receive a 404 Not Found or a
// 403 Forbidden", and only classic PATs and OAuth tokens need that
// authorization (docs/facts.md, "Where organization rules bite").
func (j *judge) ssoNotRuledOut(d facts.Diagnosis) bool {
	return classicLike(j.v.Kind) && isNotFound(d.Err) && (d.Owner == facts.OwnerOrg || d.Owner == facts.OwnerUnknown)
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
		v.check(name, Skipped, "not checked; list the images in "+j.input(config.InPackages))
		return
	}
	fs := j.in.Facts
	if fs.Images == nil {
		v.check(name, Skipped, "not checked: the images were not probed")
		return
	}
	denied, asked, pushable := 0, 0, 0
	notRuledOut := ""
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
		case ok && errors.As(d.Err, &policy) && policy.Enterprise:
			who, _ := policyWords(policy)
			v.check(name, Fail, "a policy of "+who+" refuses the token")
			return
		case ok && errors.As(d.Err, &policy):
			v.check(name, Fail, "a policy of "+r.Image.Owner()+" refuses the token")
			return
		case ok && j.ssoNotRuledOut(d):
			notRuledOut = r.Image.Owner()
			asked++
		case ok && (d.Found || d.Err != nil && isNotFound(d.Err)):
			asked++
		}
	}
	switch {
	case pushable == len(fs.Images):
		v.check(name, Pass, "every image accepted the token")
	case denied == 0:
		v.check(name, Unverified, "not every image could be probed")
	case notRuledOut != "":
		v.check(name, Unverified, "not ruled out: GitHub answered 404 for a package of "+notRuledOut+", which is also how SSO may refuse")
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

func requestID(err error) string {
	var api *facts.APIError
	if errors.As(err, &api) {
		return facts.RequestIDNote(api.RequestID)
	}
	return ""
}
