package gate

import (
	"fmt"
	"strings"

	"github.com/token-gate/token-gate/internal/token"
)

// Advice that several rules and the reminder issues give, written once.

// replacementScopes are the scopes for a new classic token: the required
// ones and the current ones, without high-risk scopes nobody required.
func (j *judge) replacementScopes() []string {
	return token.ReplacementScopes(j.cfg.RequiredScopes, j.v.Scopes)
}

// renew tells how to replace the token with one of the same kind.
func (j *judge) renew() string {
	return Renew(j.v.Kind, j.name, j.links, j.replacementScopes())
}

// Renew tells how to replace a token of kind k named name: regenerate a
// classic token with the prefilled form, or issue a new one of its kind; then
// update the secret.
func Renew(k token.Kind, name string, links Links, scopes []string) string {
	if k.Renewable() {
		return fmt.Sprintf("Regenerate it with %s at %s (or create one: %s), then update the secret %s at %s.",
			scopeWords(scopes), links.Tokens(), links.NewClassicToken(scopes, name), name, links.Secrets())
	}
	if k == token.FineGrainedPAT {
		return fmt.Sprintf("Regenerate it at %s/settings/personal-access-tokens, then update the secret %s at %s.", links.Server, name, links.Secrets())
	}
	return fmt.Sprintf("Issue a new %s, then update the secret %s at %s.", k.Describe(), name, links.Secrets())
}

func scopeWords(scopes []string) string {
	if len(scopes) == 1 {
		return "the scope " + scopes[0]
	}
	return "the scopes " + strings.Join(scopes, ", ")
}

// daysWords says how long a working token has left, in whole days.
func daysWords(d int) string {
	switch {
	case d <= 0:
		return "less than a day left"
	case d == 1:
		return "1 day left"
	}
	return fmt.Sprintf("%d days left", d)
}
