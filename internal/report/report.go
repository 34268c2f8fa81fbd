// Package report owns how a run's verdicts are shown: workflow annotations,
// step outputs, the Markdown step summary, the terminal report and JSON. It
// decides nothing; everything it prints was decided by the gate.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/token-gate/token-gate/internal/facts"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/token"
)

// PerSeverityLimit is the runner's cap of annotations per step for each of
// error, warning and notice (docs/facts.md, "Workflow commands").
const PerSeverityLimit = 10

// MaxMessage is the runner's cut-off for one annotation message.
const MaxMessage = 4096

// StepOptions are what a step knows of the token-gate steps before it in
// its job.
type StepOptions struct {
	// AuditShownBy is set when an earlier token-gate step of this job
	// annotated the audit's findings and listed them in its summary: this
	// step repeats neither, and says which step did. It is that step's
	// GITHUB_ACTION: the step's id, or a name the runner made up, which
	// starts with "__" (docs/facts.md, "Runner environment").
	AuditShownBy string
}

// shownBy says which step showed the audit.
func (o StepOptions) shownBy() string {
	if strings.HasPrefix(o.AuditShownBy, "__") {
		return "an earlier token-gate step of this job"
	}
	return "the step " + CodeSpan(o.AuditShownBy) + ", earlier in this job"
}

// Annotation is one workflow command, before escaping. File, Line and
// Column place it on a workflow file (the audit's findings); the others
// stand on the run.
type Annotation struct {
	Severity gate.Severity
	Title    string
	Message  string
	File     string
	Line     int
	Column   int
}

// Annotations lists what to annotate. A single token gets one annotation per
// finding; several tokens get one per token and severity, so that fifty
// tokens do not drown the run. The audit's findings follow, each on its
// place in its workflow file; under audit: warn its errors are warnings.
// Each message starts with its code, because the log shows no title, and
// ends with the code's link. Past the runner's 10 of a severity, one notice
// says how many more the summary holds (docs/facts.md, "Workflow
// commands"), since the runner drops the rest without a word.
func Annotations(run gate.Run, o StepOptions) []Annotation {
	var all []Annotation
	if len(run.Verdicts) == 1 {
		for _, f := range run.Verdicts[0].Findings {
			all = append(all, Annotation{Severity: f.Severity, Title: f.Title, Message: coded(f.Message, string(f.Code), f.Title)})
		}
	} else {
		for _, v := range run.Verdicts {
			for _, sev := range []gate.Severity{gate.Error, gate.Warning, gate.Notice} {
				var titles, msgs []string
				for _, f := range v.Findings {
					if f.Severity == sev {
						titles = append(titles, f.Title)
						msgs = append(msgs, coded(f.Message, string(f.Code), f.Title))
					}
				}
				if len(titles) > 0 {
					all = append(all, Annotation{Severity: sev, Title: v.TokenName + ": " + strings.Join(titles, "; "), Message: strings.Join(msgs, "\n")})
				}
			}
		}
	}
	for _, f := range run.Findings {
		all = append(all, Annotation{Severity: f.Severity, Title: f.Title, Message: coded(f.Message, string(f.Code), f.Title)})
	}
	if o.AuditShownBy == "" {
		all = append(all, auditAnnotations(run)...)
	}
	return limit(all, elsewhere{more: "see the job summary, which lists every finding", cut: "see the step summary"})
}

// AuditAnnotations are an audit's findings as workflow commands, for
// `token-gate audit --format github` in a run: step: each on its place in
// its workflow file, errors as errors. All of them are kept, since the
// runner logs the messages past its limit (docs/facts.md, "Workflow
// commands"); a notice, first among the notices, says how many it did not
// annotate. With ShowSuppressed the suppressed findings are notices.
func AuditAnnotations(res finding.Report, o AuditOptions) []Annotation {
	var all []Annotation
	for _, f := range res.Findings {
		all = append(all, findingAnnotation(f, gate.Severity(f.Severity)))
	}
	if o.ShowSuppressed {
		// --no-ignore: each suppressed finding as a notice, which fails
		// nothing, saying which comment suppresses it.
		for _, sf := range res.Suppressed {
			f := sf.Finding
			f.Message = fmt.Sprintf("(%s, suppressed by the comment on line %d) %s", f.Severity, sf.CommentLine, f.Message)
			a := findingAnnotation(f, gate.Notice)
			a.Title += " (suppressed)"
			all = append(all, a)
		}
	}
	return limit(all, elsewhere{more: "the log above lists every finding", cut: "token-gate audit prints it whole", keepAll: true})
}

// elsewhere says where what the annotations leave out can be read.
type elsewhere struct {
	more, cut string
	// keepAll keeps the annotations past the runner's limit, for the log.
	keepAll bool
}

// limit orders annotations by severity, escapes their text, keeps the
// runner's 10 of each severity (or all, with keepAll) with a notice that
// counts the rest, and cuts long messages.
func limit(all []Annotation, where elsewhere) []Annotation {
	for i := range all {
		// Titles are one line; messages keep the line breaks token-gate
		// put in them. None passes on ESC, BEL or a bidi control, not
		// even a file's name, which the runner prints in the log: a file
		// named so is annotated under its escaped name.
		all[i].Title, all[i].Message, all[i].File = Inline(all[i].Title), Block(all[i].Message), Inline(all[i].File)
	}
	var out, more []Annotation
	for _, sev := range []gate.Severity{gate.Error, gate.Warning, gate.Notice} {
		var these []Annotation
		for _, a := range all {
			if a.Severity == sev {
				these = append(these, a)
			}
		}
		if sev == gate.Notice {
			// The notices that count the others come first, so that
			// they are never the ones cut.
			these = append(more, these...)
			if len(these) > PerSeverityLimit && !where.keepAll {
				n := len(these) - (PerSeverityLimit - 1)
				these = append(these[:PerSeverityLimit-1], moreNotice(n, sev, where.more))
			}
		} else if len(these) > PerSeverityLimit {
			more = append(more, moreNotice(len(these)-PerSeverityLimit, sev, where.more))
			if !where.keepAll {
				these = these[:PerSeverityLimit]
			}
		}
		out = append(out, these...)
	}
	cut := " … (cut; " + where.cut + ")"
	for i := range out {
		if len(out[i].Message) > MaxMessage {
			out[i].Message = strings.ToValidUTF8(out[i].Message[:MaxMessage-len(cut)], "") + cut
		}
	}
	return out
}

// moreNotice says how many annotations of a severity the runner would not
// show: "2 more errors: see the job summary".
func moreNotice(n int, sev gate.Severity, where string) Annotation {
	words := plural(n, string(sev))
	return Annotation{Severity: gate.Notice, Title: "token-gate: " + words + " not annotated",
		Message: fmt.Sprintf("%d more %s: %s (the runner shows at most %d annotations of each kind per step).",
			n, strings.TrimPrefix(words, strconv.Itoa(n)+" "), where, PerSeverityLimit)}
}

// coded writes a message as the log shows it: its code first, as zizmor
// and rustc do, then the title the log would not show, the message, and
// the code's link.
func coded(message, code, title string) string {
	if code == "" {
		return message
	}
	head := "[" + code + "]"
	if title != "" {
		head += " " + title + ":"
	}
	return head + " " + message + "\n" + CodeURL(code)
}

// auditAnnotations are the audit's findings, each on its place; under
// audit: warn its errors are warnings.
func auditAnnotations(run gate.Run) []Annotation {
	if run.Audit == nil {
		return nil
	}
	var out []Annotation
	for _, f := range run.Audit.Findings {
		sev := gate.Severity(f.Severity)
		if sev == gate.Error && !run.AuditFails {
			sev = gate.Warning // audit: warn
		}
		out = append(out, findingAnnotation(f, sev))
	}
	return out
}

// findingAnnotation is an audit finding on its place, its workflow text on
// one line each.
func findingAnnotation(f finding.Finding, sev gate.Severity) Annotation {
	fix := Inline(f.Fix)
	if f.Snippet != "" {
		fix += " The job summary shows the workflow text to add."
	}
	return Annotation{Severity: sev, Title: "token-gate audit: " + string(f.Code),
		Message: coded(Inline(f.Message)+"\nFix: "+fix, string(f.Code), ""), File: f.File, Line: f.Line, Column: f.Column}
}

// Output is one step output.
type Output struct{ Name, Value string }

// Outputs lists every output, always all of them, empty values included, so
// later steps can rely on them in `if:` whatever happened. The single-token
// outputs describe the first verdict.
func Outputs(run gate.Run) []Output {
	outputs, _ := fitOutputs(run)
	return outputs
}

// fitOutputs lists the outputs, and reports whether the `report` output had to
// be cut to GitHub's limit.
func fitOutputs(run gate.Run) ([]Output, bool) {
	first := gate.Verdict{Kind: token.None}
	if len(run.Verdicts) > 0 {
		first = run.Verdicts[0]
	}
	expires, days := "", ""
	if first.HasExpiry() {
		expires = first.ExpiresAt.UTC().Format(time.RFC3339)
		days = strconv.Itoa(first.DaysRemaining)
	}
	reminders := run.Reminders
	if reminders == nil {
		reminders = []gate.Reminder{}
	}
	remindersJSON, _ := json.Marshal(reminders)
	reportJSON, cut := reportOutput(run)
	outputs := []Output{
		{"valid", strconv.FormatBool(run.Valid())},
		{"token-type", string(first.Kind)},
		{"login", first.Login},
		{"scopes", strings.Join(first.Scopes, ",")},
		{"missing-scopes", strings.Join(first.MissingScopes, ",")},
		{"expires-at", expires},
		{"days-remaining", days},
		{"pushable", strings.Join(first.Pushable(), ",")},
		{"not-pushable", strings.Join(first.NotPushable(), ",")},
		{"report", reportJSON},
		{"reminders", string(remindersJSON)},
	}
	for i := range outputs {
		if outputs[i].Name != "report" && len(outputs[i].Value) > MaxOutput {
			outputs[i].Value, cut = capOutput(outputs[i].Value), true
		}
	}
	return outputs, cut
}

// TokenReport is one entry of the `report` output and of --json.
type TokenReport struct {
	Name          string   `json:"name"`
	TokenType     string   `json:"token-type"`
	Login         string   `json:"login"`
	Scopes        []string `json:"scopes"`
	MissingScopes []string `json:"missing-scopes"`
	ExpiresAt     string   `json:"expires-at"`
	DaysRemaining *int     `json:"days-remaining"`
	Valid         bool     `json:"valid"`
	Problems      []string `json:"problems"`
	Pushable      []string `json:"pushable,omitempty"`
	NotPushable   []string `json:"not-pushable,omitempty"`
	// Findings carry a stable code each, for scripts to branch on.
	Findings []FindingReport `json:"findings"`
	// UsedBy is where the workflows use the token's secret, when they
	// were read.
	UsedBy *Usage `json:"used-by,omitempty"`
	// Cut, when set, says what was left out to fit GitHub's output limit.
	Cut string `json:"cut,omitempty"`
}

// FindingReport is one finding in the JSON report.
type FindingReport struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Message  string `json:"message"`
}

// Usage is a token's finding.Credential in the JSON report. It marshals
// itself so that encoding/json builds the credential's encoder only when
// there is one: building encoders by reflection is a large part of a
// default check's start (go run ./internal/bench/startup).
type Usage struct{ finding.Credential }

// MarshalJSON writes the credential, as the audit's JSON does.
func (u Usage) MarshalJSON() ([]byte, error) { return json.Marshal(credentialJSON(u.Credential)) }

// Document is the check's JSON: --json, and the `report` output. Tokens
// holds one object per token; Audit is there when the workflows were
// audited beside the check.
type Document struct {
	Version int           `json:"version"`
	Tokens  []TokenReport `json:"tokens"`
	Audit   *AuditReport  `json:"audit,omitempty"`
	// Cut, when set, says what was left out to fit GitHub's output limit.
	Cut string `json:"cut,omitempty"`
}

// JSON is the machine-readable report.
func JSON(run gate.Run) Document {
	doc := Document{Version: JSONVersion, Tokens: tokenReports(run)}
	if run.Audit != nil {
		doc.Audit = &AuditReport{AuditJSON(*run.Audit, AuditOptions{})}
	}
	return doc
}

func tokenReports(run gate.Run) []TokenReport {
	out := []TokenReport{}
	for _, v := range run.Verdicts {
		r := TokenReport{
			Name:          v.TokenName,
			TokenType:     string(v.Kind),
			Login:         v.Login,
			Scopes:        nonNil(v.Scopes),
			MissingScopes: nonNil(v.MissingScopes),
			Valid:         v.Valid(),
			Problems:      v.Problems(),
		}
		if v.HasExpiry() {
			r.ExpiresAt = v.ExpiresAt.UTC().Format(time.RFC3339)
			d := v.DaysRemaining
			r.DaysRemaining = &d
		}
		if len(v.Images) > 0 {
			r.Pushable, r.NotPushable = v.Pushable(), v.NotPushable()
		}
		if v.UsedBy != nil {
			r.UsedBy = &Usage{*v.UsedBy}
		}
		r.Findings = []FindingReport{}
		for _, f := range v.Findings {
			r.Findings = append(r.Findings, FindingReport{Code: string(f.Code), Severity: string(f.Severity), Title: f.Title, Message: f.Message})
		}
		out = append(out, r)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ByDaysLeft orders verdicts for the inventory: failures first (those with no
// known expiry before those with one), then the soonest expiry, then those
// that never expire; input order breaks ties.
func ByDaysLeft(vs []gate.Verdict) []gate.Verdict {
	key := func(v gate.Verdict) (group, expiryKnown, days int) {
		switch {
		case !v.Passed() && v.HasExpiry():
			return 0, 1, v.DaysRemaining
		case !v.Passed():
			return 0, 0, 0
		case v.HasExpiry():
			return 1, 0, v.DaysRemaining
		}
		return 2, 0, 0
	}
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b gate.Verdict) int {
		ga, ea, da := key(a)
		gb, eb, db := key(b)
		return cmp.Or(cmp.Compare(ga, gb), cmp.Compare(ea, eb), cmp.Compare(da, db))
	})
	return out
}

func verdictWord(v gate.Verdict) string {
	warned := slices.ContainsFunc(v.Findings, func(f gate.Finding) bool { return f.Severity == gate.Warning })
	switch {
	case !v.Passed():
		return "failed"
	case v.Kind == token.None:
		return "not checked"
	case warned:
		return "passed with warnings"
	}
	return "passed"
}

func expiryText(v gate.Verdict) string {
	switch v.Expiry {
	case gate.ExpiryKnown:
		return v.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	case gate.ExpiryNever:
		return "never"
	}
	return "unknown"
}

func daysText(v gate.Verdict) string {
	if v.HasExpiry() {
		return strconv.Itoa(v.DaysRemaining)
	}
	return "—"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func scopesText(v gate.Verdict) string {
	switch {
	case !v.ScopesReported:
		return "—"
	case len(v.Scopes) == 0:
		return "(none)"
	}
	return strings.Join(v.Scopes, ", ")
}

func imageText(r facts.ImageResult) string {
	if r.Outcome == facts.Pushable {
		return "pushable (upload accepted with 202)"
	}
	if r.Status != 0 {
		return fmt.Sprintf("%s (%d at %s)", r.Outcome, r.Status, r.Step)
	}
	return string(r.Outcome)
}
