package gate

import (
	"net/url"
	"strings"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/image"
)

// Links builds the pages a fix needs, so that an error saves its reader a
// search (docs/facts.md, "Links that fix").
type Links struct {
	Server     string // GITHUB_SERVER_URL: https://github.com or the GHES host
	Repository string // OWNER/REPO, empty in a terminal
}

// NewClassicToken is the prefilled form for a new classic token. GitHub
// Packages takes no fine-grained token, so no fine-grained template URL is
// built (docs/facts.md, "Links that fix").
func (l Links) NewClassicToken(scopes []string, description string) string {
	q := "scopes=" + strings.Join(scopes, ",")
	if description != "" {
		q += "&description=" + url.QueryEscape(description)
	}
	return l.Server + "/settings/tokens/new?" + q
}

// Tokens is the list of the user's classic tokens, where scopes are edited
// and SSO is authorized.
func (l Links) Tokens() string { return l.Server + "/settings/tokens" }

// Secrets names the pages where the secret is updated. The runner does not say
// whether a secret is the repository's or the organisation's, so both are
// given.
func (l Links) Secrets() string {
	owner, _, ok := strings.Cut(l.Repository, "/")
	if !ok {
		return "the repository's or organization's Actions secrets"
	}
	return l.Server + "/" + l.Repository + "/settings/secrets/actions (repository secret) or " +
		l.Server + "/organizations/" + owner + "/settings/secrets/actions (organization secret)"
}

// PackageSettings is where a package's "Manage Actions access" and "Manage
// access" live: under /orgs/ for an organization's package, /users/ for a
// person's.
func (l Links) PackageSettings(img image.Image, owner facts.OwnerKind) string {
	return l.Server + "/" + ownerPath(owner) + "/" + img.Owner() + "/packages/container/" + url.PathEscape(img.Name()) + "/settings"
}

// PackageSettingsWords names the settings page; when GitHub did not say
// what the owner is, both forms.
func (l Links) PackageSettingsWords(img image.Image, owner facts.OwnerKind) string {
	if owner != facts.OwnerUnknown {
		return l.PackageSettings(img, owner)
	}
	o := img.Owner()
	return l.PackageSettings(img, owner) + " (for a personal package, /users/" + o + "/ instead of /orgs/" + o + "/)"
}

func ownerPath(owner facts.OwnerKind) string {
	if owner == facts.OwnerSelf || owner == facts.OwnerUser {
		return "users"
	}
	return "orgs"
}

// OnServer reports whether u is an https URL on the server's own host: the
// only server-sent URLs a message links to.
func (l Links) OnServer(u string) bool {
	server, err := url.Parse(l.Server)
	target, err2 := url.Parse(u)
	return u != "" && err == nil && err2 == nil && target.Scheme == "https" && target.User == nil &&
		strings.EqualFold(target.Host, server.Host)
}
