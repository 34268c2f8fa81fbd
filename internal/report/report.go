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
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/token"
)

// PerSeverityLimit is the runner's cap of annotations per step for each of
// error, warning and notice (docs/facts.md, "Workflow commands").
const PerSeverityLimit = 10

// MaxMessage is the runner's cut-off for one annotation message.
const MaxMessage = 4096

// Annotation is one workflow command, before escaping.
type Annotation struct {
	Severity gate.Severity
	Title    string
	Message  string
}

// Annotations lists what to annotate. A single token gets one annotation per
// finding; several tokens get one per token and severity, so that fifty
// tokens do not drown the run. Each severity stays within the runner's limit,
// the last slot saying how many more the summary holds.
func Annotations(run gate.Run) []Annotation {
	var all []Annotation
	if len(run.Verdicts) == 1 {
		for _, f := range run.Verdicts[0].Findings {
			all = append(all, Annotation{f.Severity, f.Title, f.Message})
		}
	} else {
		for _, v := range run.Verdicts {
			for _, sev := range []gate.Severity{gate.Error, gate.Warning, gate.Notice} {
				var titles, msgs []string
				for _, f := range v.Findings {
					if f.Severity == sev {
						titles = append(titles, f.Title)
						msgs = append(msgs, f.Message)
					}
				}
				if len(titles) > 0 {
					all = append(all, Annotation{sev, v.TokenName + ": " + strings.Join(titles, "; "), strings.Join(msgs, "\n")})
				}
			}
		}
	}
	for _, f := range run.Findings {
		all = append(all, Annotation{f.Severity, f.Title, f.Message})
	}
	var out []Annotation
	for _, sev := range []gate.Severity{gate.Error, gate.Warning, gate.Notice} {
		var these []Annotation
		for _, a := range all {
			if a.Severity == sev {
				these = append(these, a)
			}
		}
		if len(these) > PerSeverityLimit {
			more := len(these) - (PerSeverityLimit - 1)
			these = append(these[:PerSeverityLimit-1], Annotation{sev, fmt.Sprintf("%d more %ss", more, sev),
				fmt.Sprintf("%d more %ss are not annotated (the runner shows at most %d per step); the step summary lists them all.", more, sev, PerSeverityLimit)})
		}
		out = append(out, these...)
	}
	const cut = " … (cut; see the step summary)"
	for i := range out {
		if len(out[i].Message) > MaxMessage {
			out[i].Message = strings.ToValidUTF8(out[i].Message[:MaxMessage-len(cut)], "") + cut
		}
	}
	return out
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

// JSON is the machine-readable report: one object per token.
func JSON(run gate.Run) []TokenReport {
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
