package gate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/github"
	"github.com/token-gate/token-gate/internal/registry"
	"github.com/token-gate/token-gate/internal/token"
	"github.com/token-gate/token-gate/internal/transport"
)

// Deps are the outside world, injected so tests control the network and the
// clock.
type Deps struct {
	Transport http.RoundTripper
	Policy    transport.Policy
	Now       func() time.Time
	// Mask hides a secret learnt during the run (a registry token) from the
	// log, before anything could print it.
	Mask func(string)
}

// Parallel bounds how many tokens, and how many image probes per token, are
// in flight at once: enough to make N close to the cost of one, few enough
// not to trip a secondary rate limit.
const Parallel = 4

// JudgeAll judges every entry concurrently, at most Parallel at a time, and
// returns the verdicts in input order.
func JudgeAll(ctx context.Context, cfg config.Config, deps Deps) []Verdict {
	out := make([]Verdict, len(cfg.Entries))
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i, e := range cfg.Entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = Judge(ctx, e, cfg, deps)
		}()
	}
	wg.Wait()
	return out
}

// Judge judges one token. Every failure found is reported, not only the
// first.
func Judge(ctx context.Context, e config.Entry, cfg config.Config, deps Deps) Verdict {
	v := Verdict{TokenName: e.Name, Kind: token.KindOf(e.Value), Expiry: ExpiryUnknown}
	links := Links{Server: cfg.ServerURL, Repository: cfg.Repository}
	j := judge{v: &v, cfg: cfg, links: links, name: e.Name, now: deps.Now()}

	switch {
	case e.Bad != "":
		v.Kind = token.Unknown
		v.check("Token format", Fail, "unusable as a token")
		v.add(Error, "Malformed token", fmt.Sprintf("The value of %s is not a usable token: %s. Nothing was sent to GitHub. Update the secret %s at %s.",
			e.Name, e.Bad, e.Name, links.Secrets()))
	case v.Kind == token.None:
		j.missing()
	case v.Kind == token.Refresh:
		v.check("Token kind", Fail, v.Kind.Describe())
		v.add(Error, "Wrong kind of token", fmt.Sprintf("%s is a GitHub App refresh token (ghr_), which cannot call the API or push images. Store a classic personal access token with %s instead: %s. Then update the secret %s at %s.",
			e.Name, scopeWords(j.fixScopes(nil)), links.NewClassicToken(j.fixScopes(nil), e.Name), e.Name, links.Secrets()))
	default:
		j.inspect(ctx, e.Value, deps)
	}
	if len(cfg.Packages) > 0 && v.Images == nil {
		// Every probed image gets a row, even when the token never got as
		// far as the probe (empty, malformed, a refresh token).
		j.skipImages("no usable token to probe with")
	}
	return v
}

type judge struct {
	v     *Verdict
	cfg   config.Config
	links Links
	name  string
	now   time.Time
}

func (j judge) missing() {
	text := fmt.Sprintf("%s is empty. Usually the secret is not set in this repository or organization, or the workflow runs from a fork or as Dependabot, whose runs receive no secrets. Set the secret at %s, or use on-missing: skip for runs that cannot have it.",
		j.name, j.links.Secrets())
	switch j.cfg.OnMissing {
	case config.MissingFail:
		j.v.check("Token present", Fail, "empty")
		j.v.add(Error, "Token is empty", text)
	case config.MissingWarn:
		j.v.check("Token present", Warn, "empty; on-missing: warn")
		j.v.add(Warning, "Token is empty", text)
	case config.MissingSkip:
		j.v.check("Token present", Skipped, "empty; on-missing: skip")
		j.v.add(Notice, "Token is empty, check skipped", fmt.Sprintf("%s is empty, so it was not checked (on-missing: skip).", j.name))
	}
}

// packagesWanted reports whether this run is about pushing packages: a
// packages scope is required or images are to be probed.
func (j judge) packagesWanted() bool {
	return token.NeedsPackages(j.cfg.RequiredScopes) || len(j.cfg.Packages) > 0
}

// fixScopes are the scopes to put on a replacement classic token: the
// required ones plus those the token has now, so rotating loses nothing.
func (j judge) fixScopes(current []string) []string {
	out := slices.Clone(j.cfg.RequiredScopes)
	for _, s := range current {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []string{"write:packages"}
	}
	return out
}

func (j judge) inspect(ctx context.Context, tok string, deps Deps) {
	v := j.v
	// ghcr.io takes only classic PATs and Actions' own GITHUB_TOKEN
	// (github-tokens.md §4; github/roadmap#558 is still open).
	wrongForPackages := (v.Kind == token.FineGrainedPAT || v.Kind == token.UserToServer) && j.packagesWanted()
	if wrongForPackages {
		v.check("Token kind", Fail, v.Kind.Describe())
		v.add(Error, "Token kind not accepted by GitHub Packages", fmt.Sprintf("%s is a %s, but GitHub Packages (ghcr.io) accepts only classic personal access tokens. Use a classic PAT with write:packages (%s), or GITHUB_TOKEN with `permissions: packages: write`, and update the secret %s at %s.",
			j.name, v.Kind.Describe(), j.links.NewClassicToken(j.fixScopes(nil), j.name), j.name, j.links.Secrets()))
	} else {
		v.check("Token kind", Pass, v.Kind.Describe())
	}

	client, err := github.NewClient(j.cfg.APIURL, tok, deps.Transport, deps.Policy)
	if err != nil {
		v.check("GitHub API", Fail, err.Error())
		v.add(Error, "GitHub API unusable", err.Error())
		return
	}
	facts, err := client.Inspect(ctx, v.Kind)
	if err != nil {
		j.apiFailure(err)
	} else {
		j.facts(facts)
	}

	var bad *github.BadCredentialsError
	switch {
	case len(j.cfg.Packages) == 0:
	case wrongForPackages:
		j.skipImages("token kind not accepted by ghcr.io")
	case errors.As(err, &bad):
		j.skipImages("the token was refused by GitHub")
	default:
		j.probe(ctx, tok, deps)
	}
}

func (j judge) skipImages(why string) {
	for _, img := range j.cfg.Packages {
		j.v.Images = append(j.v.Images, registry.Result{Image: img, Outcome: registry.NotProbed, Message: why})
	}
}

func (j judge) apiFailure(err error) {
	v := j.v
	var (
		bad   *github.BadCredentialsError
		sso   *github.SSOError
		rl    *github.RateLimitError
		down  *github.UnreachableError
		api   *github.APIError
		guard *transport.DestinationError
	)
	switch {
	case errors.As(err, &bad):
		v.check("Credentials", Fail, "401 Bad credentials")
		msg := fmt.Sprintf("%s is expired or revoked: GitHub answered 401 Bad credentials%s. ", j.name, idNote(bad.RequestID))
		if v.Kind == token.ClassicPAT || v.Kind == token.Unknown {
			msg += fmt.Sprintf("Regenerate it with %s at %s (or create one: %s), then update the secret %s at %s.",
				scopeWords(j.fixScopes(nil)), j.links.Tokens(), j.links.NewClassicToken(j.fixScopes(nil), j.name), j.name, j.links.Secrets())
		} else {
			msg += fmt.Sprintf("Issue a new %s, then update the secret %s at %s.", v.Kind.Describe(), j.name, j.links.Secrets())
		}
		v.add(Error, "Token expired or revoked", msg)
	case errors.As(err, &sso):
		v.check("Credentials", Fail, "403 SAML SSO authorization required")
		where := sso.AuthorizeURL
		if where == "" {
			where = j.links.Tokens() + " (Configure SSO → Authorize)"
		} else {
			where += " (the link is valid for one hour; afterwards use " + j.links.Tokens() + " → Configure SSO)"
		}
		v.add(Error, "Token not authorized for SSO", fmt.Sprintf("%s is not authorized for the organization's SAML single sign-on, so GitHub refuses it (403%s). Authorize it at %s. The secret itself need not change.",
			j.name, idNote(sso.RequestID), where))
	case errors.As(err, &rl):
		v.check("Credentials", Unverified, "rate limited")
		v.addInconclusive("GitHub rate limit", j.rateLimitText(rl))
	case errors.As(err, &down):
		v.check("Credentials", Unverified, "GitHub unreachable")
		v.addInconclusive("GitHub unreachable", fmt.Sprintf("%s could not be checked: %v. The token's validity is unknown, not bad. Re-run the job; if it persists, check https://www.githubstatus.com or the api-url (%s).",
			j.name, down, j.cfg.APIURL))
	case errors.As(err, &api) && api.Status == http.StatusNotFound:
		v.check("Credentials", Unverified, "404 from the API")
		v.add(Error, "Wrong api-url", fmt.Sprintf("GitHub answered 404 for %s at %s%s, so api-url does not point at the GitHub REST API. Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
			api.URL, j.cfg.APIURL, idNote(api.RequestID)))
	case errors.As(err, &api):
		v.check("Credentials", Fail, fmt.Sprintf("%d %s", api.Status, http.StatusText(api.Status)))
		v.add(Error, "GitHub refused the token", fmt.Sprintf("GitHub answered %d for %s: %q%s. Check that %s is the token you meant, then update the secret %s at %s.",
			api.Status, api.URL, api.Message, idNote(api.RequestID), j.name, j.name, j.links.Secrets()))
	case errors.As(err, &guard):
		v.check("Credentials", Unverified, "refused to send")
		v.add(Error, "Token not sent", err.Error()+". token-gate sends the token only to the api-url host, over HTTPS (plain HTTP only to loopback hosts); check api-url and any redirect it answers with.")
	default:
		v.check("Credentials", Unverified, "error")
		v.add(Error, "GitHub check failed", fmt.Sprintf("%s could not be checked: %v", j.name, err))
	}
}

func (j judge) rateLimitText(rl *github.RateLimitError) string {
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
		kind, j.name, rl.Status, idNote(rl.RequestID), when)
}

func (j judge) facts(f github.Facts) {
	v := j.v
	v.Login = f.Login
	v.Scopes = f.Scopes
	v.ScopesReported = f.ScopesReported
	v.check("Credentials", Pass, "GET "+f.Endpoint+" answered 200")
	j.scopes(f)
	j.expiry(f)
}

func (j judge) scopes(f github.Facts) {
	v := j.v
	required := j.cfg.RequiredScopes
	switch {
	case v.Kind == token.Installation:
		v.check("Scopes", NotApplicable, "installation tokens have permissions, not scopes")
		text := fmt.Sprintf("%s is an installation token (such as GITHUB_TOKEN): scopes do not apply; its rights come from the workflow's `permissions:`.", j.name)
		if token.NeedsPackages(required) && len(j.cfg.Packages) == 0 {
			text += " To prove it may push, list the images in `packages`, and grant `permissions: packages: write`."
		}
		v.add(Notice, "Scopes do not apply", text)
	case !f.ScopesReported:
		switch {
		case len(required) == 0:
			v.check("Scopes", Skipped, "required-scopes is empty")
		case (v.Kind == token.FineGrainedPAT || v.Kind == token.UserToServer) && j.packagesWanted():
			// Already an error: this kind cannot use GitHub Packages at all.
			v.check("Scopes", Fail, "this kind has no scopes")
		default:
			v.check("Scopes", Unverified, "GitHub reports no scopes for this kind")
			v.add(Notice, "Scopes not verifiable", fmt.Sprintf("%s is a %s, for which GitHub reports permissions, not scopes, so required-scopes (%s) could not be verified.",
				j.name, v.Kind.Describe(), strings.Join(required, ", ")))
		}
	case len(required) == 0:
		v.check("Scopes", Skipped, "required-scopes is empty")
		j.highRisk()
	default:
		v.MissingScopes = token.Missing(required, f.Scopes)
		if len(v.MissingScopes) == 0 {
			v.check("Scopes", Pass, "has "+strings.Join(required, ", "))
		} else {
			v.check("Scopes", Fail, "missing "+strings.Join(v.MissingScopes, ", "))
			granted := "no scopes"
			if len(f.Scopes) > 0 {
				granted = strings.Join(f.Scopes, ", ")
			}
			v.add(Error, "Missing scopes", fmt.Sprintf("%s lacks %s (it has %s). %s",
				j.name, scopeWords(v.MissingScopes), granted, j.addScopesFix()))
		}
		j.highRisk()
	}
}

func (j judge) addScopesFix() string {
	if j.v.Kind == token.OAuth {
		return "Authorize the OAuth app again, asking for the missing scopes."
	}
	return fmt.Sprintf("Edit the token at %s and tick %s; a classic token keeps its value when its scopes change, so the secret %s need not be updated. Or create a new one with every scope: %s.",
		j.links.Tokens(), scopeWords(j.v.MissingScopes), j.name, j.links.NewClassicToken(j.fixScopes(j.v.Scopes), j.name))
}

func (j judge) highRisk() {
	risky := token.Unrequested(j.cfg.RequiredScopes, j.v.Scopes)
	if len(risky) == 0 {
		return
	}
	j.v.add(Warning, "High-risk scopes granted", fmt.Sprintf("%s grants %s, which this gate does not require. If the pipeline does not need them, remove them at %s (least privilege: a leaked token can do only what its scopes allow).",
		j.name, scopeWords(risky), j.links.Tokens()))
}

func (j judge) expiry(f github.Facts) {
	v := j.v
	switch {
	case f.ExpiryUnreadable != "":
		v.check("Expiry", Unverified, "unreadable expiry header")
		v.add(Warning, "Expiry not verified", fmt.Sprintf("GitHub sent an expiry for %s that token-gate cannot read (%q), so the expiry was not checked.", j.name, f.ExpiryUnreadable))
		return
	case f.ExpiresAt.IsZero():
		v.Expiry = ExpiryNever
		if v.Kind.ShortLived() {
			v.check("Expiry", NotApplicable, "short-lived by design")
			return
		}
		v.check("Expiry", Pass, "never expires")
		if v.Kind == token.ClassicPAT || v.Kind == token.FineGrainedPAT || v.Kind == token.Unknown {
			v.add(Notice, "Token never expires", fmt.Sprintf("%s has no expiry. A token that never expires stays usable forever if it leaks; consider regenerating it with an expiry (e.g. 90 days) and keeping warn-within-days on so this gate reminds you before it lapses.", j.name))
		}
		return
	}
	v.Expiry = ExpiryKnown
	v.ExpiresAt = f.ExpiresAt
	v.DaysRemaining = token.DaysLeft(f.ExpiresAt, j.now)
	when := fmt.Sprintf("%s (%s)", f.ExpiresAt.Format("2006-01-02 15:04 MST"), daysWords(v.DaysRemaining))
	renew := fmt.Sprintf("Regenerate it at %s (or create one: %s) and update the secret %s at %s.",
		j.links.Tokens(), j.links.NewClassicToken(j.fixScopes(v.Scopes), j.name), j.name, j.links.Secrets())
	if v.Kind != token.ClassicPAT && v.Kind != token.Unknown {
		renew = fmt.Sprintf("Issue a new %s and update the secret %s at %s.", v.Kind.Describe(), j.name, j.links.Secrets())
	}
	switch {
	case v.Kind.ShortLived():
		v.check("Expiry", NotApplicable, "short-lived by design; expires "+when)
	case !f.ExpiresAt.After(j.now):
		v.check("Expiry", Fail, "expired "+when)
		v.add(Error, "Token expired", fmt.Sprintf("%s expired on %s. %s", j.name, when, renew))
	case token.Within(f.ExpiresAt, j.now, j.cfg.FailDays):
		v.Expiring = true
		v.check("Expiry", Fail, "expires "+when)
		v.add(Error, "Token expires soon", fmt.Sprintf("%s expires on %s, inside fail-within-days (%d). %s", j.name, when, j.cfg.FailDays, renew))
	case token.Within(f.ExpiresAt, j.now, j.cfg.WarnDays):
		v.Expiring = true
		v.check("Expiry", Warn, "expires "+when)
		v.add(Warning, "Token expires soon", fmt.Sprintf("%s expires on %s, inside warn-within-days (%d). %s", j.name, when, j.cfg.WarnDays, renew))
	default:
		v.check("Expiry", Pass, "expires "+when)
	}
}

func (j judge) probe(ctx context.Context, tok string, deps Deps) {
	p := &registry.Prober{
		Client:   registry.NewClient(deps.Transport, deps.Policy, j.cfg.Packages),
		Username: "token-gate",
		Secret:   tok,
		Mask:     deps.Mask,
		Parallel: Parallel,
	}
	j.v.Images = p.ProbeAll(ctx, j.cfg.Packages)
	for _, r := range j.v.Images {
		j.imageFinding(r)
	}
}

func (j judge) imageFinding(r registry.Result) {
	v := j.v
	said := ""
	if r.Message != "" {
		said = fmt.Sprintf(": %q", r.Message)
	}
	answered := fmt.Sprintf("the registry answered %d at the %s step%s", r.Status, r.Step, said)
	switch r.Outcome {
	case registry.Pushable:
	case registry.Denied:
		var fix string
		if v.Kind == token.Installation {
			fix = fmt.Sprintf("Grant the job `permissions: packages: write`, and add this repository under the package's \"Manage Actions access\" at %s (needed for a package first pushed by hand or from another repository).",
				j.links.packageSettingsWords(r.Image))
		} else {
			fix = fmt.Sprintf("Check, in order: the token has write:packages (%s); the account has write access to the package (\"Manage access\" at %s); the token is authorized for the organization's SSO (%s → Configure SSO); or create a new token (%s) and update the secret %s at %s.",
				j.links.Tokens(), j.links.packageSettingsWords(r.Image), j.links.Tokens(), j.links.NewClassicToken(j.fixScopes(v.Scopes), j.name), j.name, j.links.Secrets())
		}
		v.add(Error, "Cannot push "+r.Image.String(), fmt.Sprintf("%s may not push to %s: %s. %s", j.name, r.Image, answered, fix))
	case registry.Unreachable:
		detail := answered
		if r.Status == 0 {
			detail = fmt.Sprintf("%s failed at the %s step: %s", r.Image.Registry, r.Step, r.Message)
		}
		v.addInconclusive("Registry unreachable", fmt.Sprintf("Push rights of %s to %s were not verified: %s. This says nothing about the token; re-run the job.", j.name, r.Image, detail))
	case registry.RateLimited:
		v.addInconclusive("Registry rate limit", fmt.Sprintf("Push rights of %s to %s were not verified: %s. A rate limit, not a bad token; re-run the job later.", j.name, r.Image, answered))
	default:
		detail := answered
		if r.Status == 0 {
			detail = r.Message
		}
		v.add(Error, "Push rights not proven", fmt.Sprintf("token-gate could not prove that %s may push to %s: %s. If the package does not exist yet, this is what the registry says of a first push; check the image name.",
			j.name, r.Image, detail))
	}
}

func idNote(id string) string {
	if id == "" {
		return ""
	}
	return ", X-GitHub-Request-Id " + id
}

func scopeWords(scopes []string) string {
	if len(scopes) == 1 {
		return "the scope " + scopes[0]
	}
	return "the scopes " + strings.Join(scopes, ", ")
}

func daysWords(d int) string {
	switch {
	case d == 1:
		return "1 day left"
	case d >= 0:
		return fmt.Sprintf("%d days left", d)
	case d == -1:
		return "1 day ago"
	}
	return fmt.Sprintf("%d days ago", -d)
}
