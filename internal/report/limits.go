package report

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/gate"
)

// GitHub's limits on what a step writes (docs/facts.md, "Workflow commands").
// What would pass them is cut, and the cut says so and where the rest is.
const (
	MaxSummary = 1 << 20   // bytes of step summary per step
	MaxOutput  = 1_000_000 // bytes of one output
)

const summaryCutNote = "\n\n> **Cut:** this summary reached GitHub's limit of 1 MiB per step. Every finding is in the `report` output and in the run's log (the group \"token-gate: full report\").\n"

// Summary renders the Markdown step summary, cut at GitHub's limit.
func Summary(run gate.Run) string {
	s, _ := fitSummary(summary(run, StepOptions{}))
	return s
}

// fitSummary cuts a summary to GitHub's limit, with a note, and reports
// whether it did.
func fitSummary(s string) (string, bool) {
	if len(s) <= MaxSummary {
		return s, false
	}
	return cutAtLine(s, MaxSummary-len(summaryCutNote)) + summaryCutNote, true
}

// Step renders, once, everything the action writes for run besides the
// annotations: the outputs and the step summary, each within GitHub's
// limits, and whether anything was cut (the full report then goes to the
// log).
func Step(run gate.Run, o StepOptions) (outputs []Output, summaryText string, cut bool) {
	outputs, outputsCut := fitOutputs(run)
	summaryText, summaryCut := fitSummary(summary(run, o))
	return outputs, summaryText, outputsCut || summaryCut
}

// cutAtLine returns s cut to at most n bytes, at the end of a line.
func cutAtLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		s = s[:i+1]
	}
	return s
}

// reportOutput is the `report` output: the full JSON report, or, past
// GitHub's 1 MB per output, the same shape with every message left out and
// each entry's `cut` saying where they are.
func reportOutput(run gate.Run) (string, bool) {
	doc := JSON(run)
	full, _ := json.Marshal(doc)
	if len(full) <= MaxOutput {
		return string(full), false
	}
	doc.Cut = "messages left out: the report reached GitHub's limit of 1 MB per output; the run's log has every finding (the group \"token-gate: full report\")"
	if doc.Audit != nil {
		// The audit is in the summary and the log; the verdicts matter more.
		doc.Audit = &AuditReport{AuditDocument{Version: JSONVersion, Workflows: doc.Audit.Workflows, Credentials: []Credential{}, Findings: []finding.Finding{}, Suppressed: doc.Audit.Suppressed}}
	}
	entries := doc.Tokens
	for i := range entries {
		e := &entries[i]
		e.Cut = doc.Cut
		e.UsedBy = nil
		for k := range e.Problems {
			title, _, _ := strings.Cut(e.Problems[k], ": ")
			e.Problems[k] = title
		}
		for k := range e.Findings {
			e.Findings[k].Message = ""
		}
	}
	if compact, _ := json.Marshal(doc); len(compact) <= MaxOutput {
		return string(compact), true
	}
	// Still too large (it cannot be at token-gate's own bounds on names,
	// logins and scopes): keep the verdicts and drop the findings, then, as
	// the last resort, everything but each token's name and verdict.
	for i := range entries {
		entries[i].Problems, entries[i].Findings = []string{}, []FindingReport{}
	}
	if compact, _ := json.Marshal(doc); len(compact) <= MaxOutput {
		return string(compact), true
	}
	for i, e := range entries {
		entries[i] = TokenReport{Name: e.Name, TokenType: e.TokenType, Valid: e.Valid, Scopes: []string{}, MissingScopes: []string{},
			Problems: []string{}, Findings: []FindingReport{}, Cut: e.Cut}
	}
	doc.Audit = nil
	compact, _ := json.Marshal(doc)
	return string(compact), true
}

// capOutput keeps a plain output within GitHub's limit, cut with a mark.
func capOutput(v string) string {
	const mark = "…"
	if len(v) <= MaxOutput {
		return v
	}
	v = v[:MaxOutput-len(mark)]
	for !utf8.ValidString(v) {
		v = v[:len(v)-1]
	}
	return v + mark
}
