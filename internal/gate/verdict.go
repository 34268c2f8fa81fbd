// Package gate owns the rules: given checked inputs and what GitHub and the
// registry answered, it decides whether each token passes and why not. The
// verdict it returns is plain data; turning it into annotations, outputs, a
// summary or a terminal report is the report package's job.
package gate

import (
	"slices"
	"time"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/token"
)

// Severity ranks a finding the way workflow annotations do; the audit's
// findings share it (package finding).
type Severity = finding.Severity

// The severities, named as the workflow commands are.
const (
	Error   = finding.Error
	Warning = finding.Warning
	Notice  = finding.Notice
)

// Finding is one thing the user must hear: what is wrong and the fix. Code is
// stable and is what code branches on; Title is for people and may change.
type Finding struct {
	Code     Code
	Severity Severity
	Title    string
	Message  string
}

// Inconclusive reports an error that says the check could not be made
// (GitHub or the registry unreachable, a rate limit, an answer that was not
// GitHub's, an empty token), not that the token is bad. Reminders leave such
// tokens alone.
func (f Finding) Inconclusive() bool { return f.Code.inconclusive() }

// Status is the result of one check in the summary table.
type Status string

// The statuses of a check.
const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Warn          Status = "warn"
	Skipped       Status = "skipped"
	NotApplicable Status = "n/a"
	Unverified    Status = "unverified"
)

// Check is one row of the summary's table.
type Check struct {
	Name   string
	Status Status
	Detail string
}

// Verdict is everything decided about one token.
type Verdict struct {
	TokenName string
	Kind      token.Kind
	Login     string
	// Scopes are as GitHub reported them, in its order; ScopesReported is
	// false when the kind has none.
	Scopes         []string
	ScopesReported bool
	MissingScopes  []string
	// ExpiresAt is zero when the token never expires or the expiry is
	// unknown; Expiry says which.
	ExpiresAt     time.Time
	Expiry        ExpiryState
	DaysRemaining int
	// Expiring is set when the expiry falls inside warn-within-days.
	Expiring bool
	// ExpiresNow is set when GitHub accepted the token with an expiry at or
	// before the check: it works, and is about to stop.
	ExpiresNow bool
	Checks     []Check
	Findings   []Finding
	Images     []facts.ImageResult
	// UsedBy is the token's secret as the workflows use it: where, and the
	// images it pushes; nil when the workflows were not read or do not
	// name it.
	UsedBy *finding.Credential
}

// Passed reports whether no finding is an error; it decides the exit status.
func (v Verdict) Passed() bool {
	return !slices.ContainsFunc(v.Findings, func(f Finding) bool { return f.Severity == Error })
}

// Valid is the `valid` output. It differs from Passed for an empty token
// under on-missing warn or skip, which passes the gate but is not a token.
func (v Verdict) Valid() bool { return v.Passed() && v.Kind != token.None }

// ExpiryState says what is known of a token's expiry.
type ExpiryState string

// The expiry states. Unknown is a check that never got an answer; the
// others say what the answer showed.
const (
	ExpiryUnknown    ExpiryState = "unknown"
	ExpiryNever      ExpiryState = "never"
	ExpiryKnown      ExpiryState = "known"
	ExpiryNotVisible ExpiryState = "not visible" // the service lets no token read its own expiry (Docker Hub)
	ExpiryUnreadable ExpiryState = "unreadable"  // GitHub sent an expiry header token-gate cannot read
)

// HasExpiry reports whether ExpiresAt and DaysRemaining mean anything.
func (v Verdict) HasExpiry() bool { return v.Expiry == ExpiryKnown }

// Pushable lists the images the token proved it may push to, in input order.
func (v Verdict) Pushable() []string { return v.imagesWith(facts.Pushable) }

// NotPushable lists the images the registry refused, in input order. Images
// the probe could not decide (unreachable, rate-limited) are in neither list.
func (v Verdict) NotPushable() []string { return v.imagesWith(facts.Denied) }

func (v Verdict) imagesWith(o facts.Outcome) []string {
	out := []string{}
	for _, r := range v.Images {
		if r.Outcome == o {
			out = append(out, r.Image.String())
		}
	}
	return out
}

// Problems lists the error and warning messages, for the JSON report.
func (v Verdict) Problems() []string {
	out := []string{}
	for _, f := range v.Findings {
		if f.Severity != Notice {
			out = append(out, f.Title+": "+f.Message)
		}
	}
	return out
}

func (v *Verdict) add(c Code, s Severity, title, msg string) {
	v.Findings = append(v.Findings, Finding{Code: c, Severity: s, Title: title, Message: msg})
}

// Has reports whether the verdict holds a finding with code c.
func (v Verdict) Has(c Code) bool {
	return slices.ContainsFunc(v.Findings, func(f Finding) bool { return f.Code == c })
}

// Health is a verdict reduced to what a reminder needs to know.
type Health string

// The health states, in the words the reminder marker stores.
const (
	Healthy  Health = "healthy"
	Expiring Health = "expiring" // passes, but expires inside warn-within-days
	Failed   Health = "failed"
	Unknown  Health = "unknown" // the check could not decide, or there was no token to check
)

// Health reduces the verdict: a conclusive error fails it; only inconclusive
// errors leave it unknown.
func (v Verdict) Health() Health {
	inconclusive := false
	for _, f := range v.Findings {
		if f.Severity != Error {
			continue
		}
		if !f.Inconclusive() {
			return Failed
		}
		inconclusive = true
	}
	switch {
	case inconclusive || v.Kind == token.None:
		return Unknown
	case v.HasExpiry() && v.Expiring:
		return Expiring
	}
	return Healthy
}

func (v *Verdict) check(name string, s Status, detail string) {
	v.Checks = append(v.Checks, Check{Name: name, Status: s, Detail: detail})
}

// Run is the outcome of one invocation: a verdict per token, and findings
// about the run itself (reminder issues, for instance).
type Run struct {
	Verdicts  []Verdict
	Findings  []Finding
	Reminders []Reminder
	// Audit is the workflow audit made beside the check, nil when none
	// was; AuditFails says that its error findings fail the step (audit:
	// fail), and AuditSkipped why none was made when one was asked for.
	Audit        *finding.Report
	AuditFails   bool
	AuditSkipped string
}

// Reminder is one reminder issue this run opened, updated or closed.
type Reminder struct {
	Name   string `json:"name"`
	Action string `json:"action"`
	Number int    `json:"number"`
	URL    string `json:"url"`
}

// Passed reports whether every token passed, and the audit, when it may
// fail the step, found no error.
func (r Run) Passed() bool {
	if r.AuditFails && r.Audit != nil && r.Audit.HasErrors() {
		return false
	}
	for _, v := range r.Verdicts {
		if !v.Passed() {
			return false
		}
	}
	return true
}

// Valid reports whether every token is valid: the `valid` output.
func (r Run) Valid() bool {
	for _, v := range r.Verdicts {
		if !v.Valid() {
			return false
		}
	}
	return len(r.Verdicts) > 0
}

// Redacted returns a copy of the run with f applied to every string a report
// could print. Redaction happens here, on values, before anything is
// serialised, so it can never break the structure of JSON or of outputs.
func (r Run) Redacted(f func(string) string) Run {
	out := Run{Verdicts: make([]Verdict, len(r.Verdicts)), Findings: redactFindings(r.Findings, f), AuditFails: r.AuditFails, AuditSkipped: f(r.AuditSkipped)}
	if r.Audit != nil {
		a := r.Audit.Redacted(f)
		out.Audit = &a
	}
	for i, v := range r.Verdicts {
		out.Verdicts[i] = v.Redacted(f)
	}
	for _, rem := range r.Reminders {
		rem.Name, rem.URL = f(rem.Name), f(rem.URL)
		out.Reminders = append(out.Reminders, rem)
	}
	return out
}

// Redacted returns a copy of the verdict with f applied to every string a
// report could print.
func (v Verdict) Redacted(f func(string) string) Verdict {
	v.TokenName = f(v.TokenName)
	v.Login = f(v.Login)
	v.Scopes = redactAll(v.Scopes, f)
	v.MissingScopes = redactAll(v.MissingScopes, f)
	v.Findings = redactFindings(v.Findings, f)
	if v.UsedBy != nil {
		c := v.UsedBy.Redacted(f)
		v.UsedBy = &c
	}
	checks := make([]Check, len(v.Checks))
	for k, c := range v.Checks {
		c.Detail = f(c.Detail)
		checks[k] = c
	}
	v.Checks = checks
	if v.Images != nil {
		images := make([]facts.ImageResult, len(v.Images))
		for k, img := range v.Images {
			img.Message = f(img.Message)
			images[k] = img
		}
		v.Images = images
	}
	return v
}

func redactFindings(fs []Finding, f func(string) string) []Finding {
	if fs == nil {
		return nil
	}
	out := make([]Finding, len(fs))
	for i, x := range fs {
		x.Title, x.Message = f(x.Title), f(x.Message)
		out[i] = x
	}
	return out
}

func redactAll(ss []string, f func(string) string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}
