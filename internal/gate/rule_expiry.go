package gate

import (
	"fmt"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules about the expiry GitHub reports.

func (j *judge) expiry(a facts.Account) {
	v := j.v
	switch {
	case a.ExpiryUnreadable != "":
		v.check("Expiry", Unverified, "unreadable expiry header")
		v.add(CodeExpiryUnreadable, Warning, "Expiry not verified", fmt.Sprintf("GitHub sent an expiry for %s that token-gate cannot read (%q), so the expiry was not checked.", j.name, a.ExpiryUnreadable))
		return
	case a.RateLimitingOff:
		// GHES's 404 from /rate_limit carries no expiry header to read;
		// installation tokens are short-lived anyway.
		v.check("Expiry", NotApplicable, "short-lived by design")
		return
	case a.ExpiresAt.IsZero():
		v.Expiry = ExpiryNever
		if v.Kind.ShortLived() {
			v.check("Expiry", NotApplicable, "short-lived by design")
			return
		}
		v.check("Expiry", Pass, "never expires")
		if v.Kind == token.ClassicPAT || v.Kind == token.FineGrainedPAT || v.Kind == token.Unknown {
			v.add(CodeNeverExpires, Notice, "Token never expires", fmt.Sprintf("%s has no expiry. A token that never expires stays usable forever if it leaks; consider regenerating it with an expiry (e.g. 90 days) and keeping warn-within-days on so this gate reminds you before it lapses.", j.name))
		}
		return
	}
	v.Expiry = ExpiryKnown
	v.ExpiresAt = a.ExpiresAt
	v.DaysRemaining = token.DaysLeft(a.ExpiresAt, j.now)
	when := fmt.Sprintf("%s (%s)", a.ExpiresAt.Format("2006-01-02 15:04 MST"), daysWords(v.DaysRemaining))
	switch {
	case v.Kind.ShortLived():
		v.check("Expiry", NotApplicable, "short-lived by design; expires "+when)
	case !a.ExpiresAt.After(j.now):
		v.check("Expiry", Fail, "expired "+when)
		v.add(CodeExpired, Error, "Token expired", fmt.Sprintf("%s expired on %s. %s", j.name, when, j.renew()))
	case token.Within(a.ExpiresAt, j.now, j.cfg.FailDays):
		v.Expiring = true
		v.check("Expiry", Fail, "expires "+when)
		v.add(CodeExpiresSoon, Error, "Token expires soon", fmt.Sprintf("%s expires on %s, inside fail-within-days (%d). %s", j.name, when, j.cfg.FailDays, j.renew()))
	case token.Within(a.ExpiresAt, j.now, j.cfg.WarnDays):
		v.Expiring = true
		v.check("Expiry", Warn, "expires "+when)
		v.add(CodeExpiresSoon, Warning, "Token expires soon", fmt.Sprintf("%s expires on %s, inside warn-within-days (%d). %s", j.name, when, j.cfg.WarnDays, j.renew()))
	default:
		v.check("Expiry", Pass, "expires "+when)
	}
}
