package gate

import (
	"fmt"
	"time"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/token"
)

// Rules about the expiry GitHub reports. GitHub sends it only on an answer
// that accepted the token, so a reported expiry in the past is never an
// expired token: the token just worked (docs/facts.md, "Headers").

func (j *judge) expiry(a facts.Account) {
	v := j.v
	switch {
	case a.ExpiryUnreadable != "":
		v.Expiry = ExpiryUnreadable
		v.check("Expiry", Unverified, "unreadable expiry header")
		v.add(CodeExpiryUnreadable, Warning, "Expiry not verified", fmt.Sprintf("GitHub sent an expiry for %s that token-gate cannot read (%s), so the expiry was not checked.", j.name, facts.Quote(a.ExpiryUnreadable)))
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
			v.add(CodeNeverExpires, Notice, "Token never expires", fmt.Sprintf("%s has no expiry. A token that never expires stays usable forever if it leaks; consider regenerating it with an expiry (e.g. 90 days) and keeping %s on so this gate reminds you before it lapses.", j.name, j.input(config.InWarnWithinDays)))
		}
		return
	}
	v.Expiry = ExpiryKnown
	v.ExpiresAt = a.ExpiresAt
	v.DaysRemaining = max(token.DaysLeft(a.ExpiresAt, j.now), 0)
	when := fmt.Sprintf("%s (%s)", a.ExpiresAt.Format("2006-01-02 15:04 MST"), daysWords(v.DaysRemaining))
	switch {
	case v.Kind.ShortLived():
		v.check("Expiry", NotApplicable, "short-lived by design; expires "+when)
	case !a.ExpiresAt.After(j.now):
		j.expiresNow(a.ExpiresAt)
	case token.Within(a.ExpiresAt, j.now, j.cfg.FailDays):
		v.Expiring = true
		v.check("Expiry", Fail, "expires "+when)
		v.add(CodeExpiresSoon, Error, "Token expires soon", fmt.Sprintf("%s expires on %s, inside %s (%d). %s", j.name, when, j.input(config.InFailWithinDays), j.cfg.FailDays, j.renew()))
	case token.Within(a.ExpiresAt, j.now, j.cfg.WarnDays):
		v.Expiring = true
		v.check("Expiry", Warn, "expires "+when)
		v.add(CodeExpiresSoon, Warning, "Token expires soon", fmt.Sprintf("%s expires on %s, inside %s (%d). %s", j.name, when, j.input(config.InWarnWithinDays), j.cfg.WarnDays, j.renew()))
	default:
		v.check("Expiry", Pass, "expires "+when)
	}
}

// expiresNow judges an expiry at or before the moment GitHub accepted the
// token: the header can carry the time of the request itself
// (google/go-github#3708, fine-grained PATs), and a runner's clock can run
// seconds ahead. The token works, so it is not expired; it is about to be.
// That is always worth a warning, and an error inside fail-within-days.
func (j *judge) expiresNow(at time.Time) {
	v := j.v
	v.Expiring, v.ExpiresNow = true, true
	ago := j.now.Sub(at).Round(time.Second)
	msg := fmt.Sprintf("%s expires now: GitHub accepted it, but gives its expiry as %s, %s before this check (fine-grained tokens can report the moment of the request, google/go-github#3708, and a runner's clock may run a few seconds ahead). Expect it to stop working at any moment. %s",
		j.name, at.Format("2006-01-02 15:04:05 MST"), durationWords(ago), j.renew())
	if j.cfg.FailDays > 0 {
		v.check("Expiry", Fail, "expires now")
		v.add(CodeExpiresSoon, Error, "Token expires now", msg)
		return
	}
	v.check("Expiry", Warn, "expires now")
	v.add(CodeExpiresSoon, Warning, "Token expires now", msg)
}

// durationWords says a short past span the way people do: 43 s, 5 min, 3 h,
// 2 days.
func durationWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}
