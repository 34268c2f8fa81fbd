package command

import (
	"context"
	"fmt"
	"strings"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/report"
)

// inputNames are every input action.yml declares.
var inputNames = []string{
	config.InToken, config.InTokenName, config.InRequiredScopes, config.InWarnWithinDays,
	config.InFailWithinDays, config.InOnMissing, config.InAPIURL, config.InPackages,
	config.InTokens, config.InReminder, config.InGitHubToken, config.InReminderLabels,
	config.InReminderMentions,
}

// inputEnv is how the runner names an input's variable: upper-cased, spaces
// to underscores, hyphens kept (INPUT_REQUIRED-SCOPES; github-tokens.md §5).
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

func (c *Command) action(ctx context.Context) int {
	a := githubactions.New(githubactions.WithGetenv(c.getenv), githubactions.WithWriter(c.Stdout))

	// The runner passes every declared input, defaults included; a variable
	// that is absent (a hand-made run) takes action.yml's default instead.
	raw := config.Raw{}
	for _, name := range inputNames {
		if v, ok := c.LookupEnv(inputEnv(name)); ok {
			raw[name] = v
		}
	}

	// Under `uses: docker://…` there is no action.yml, so only the inputs
	// written under with: arrive; the API then defaults to the runner's own.
	if _, ok := raw[config.InAPIURL]; !ok && c.getenv("GITHUB_API_URL") != "" {
		raw[config.InAPIURL] = c.getenv("GITHUB_API_URL")
	}

	// Mask first: nothing is printed before every credential is masked
	// (github-tokens.md §6).
	sec := &secrets{}
	mask := func(v string) {
		for _, piece := range sec.add(v) {
			a.AddMask(piece)
		}
	}
	mask(raw[config.InToken])
	mask(raw[config.InGitHubToken])
	for _, v := range tokensValues(raw[config.InTokens]) {
		mask(v)
	}

	cfg, err := config.Parse(raw, c.getenv, false)
	if err != nil {
		msg := sec.redact(err.Error())
		a.WithFieldsMap(map[string]string{"title": "token-gate: bad input"}).Errorf("%s", msg)
		// Every output exists on every run: those of a run that judged
		// nothing, with the kind the prefix alone tells.
		outputs := report.Outputs(gate.Run{})
		for i := range outputs {
			if outputs[i].Name == "token-type" {
				outputs[i].Value = string(badInputKind(raw))
			}
		}
		c.writeFiles(a, sec, outputs, fmt.Sprintf("## ❌ token-gate: bad input\n\n%s\n\nNothing was sent to GitHub.\n", msg))
		return ExitUsage
	}

	run := c.run(ctx, cfg, mask)
	for _, an := range report.Annotations(run) {
		fields := a.WithFieldsMap(map[string]string{"title": sec.redact(an.Title)})
		msg := sec.redact(an.Message)
		switch an.Severity {
		case gate.Error:
			fields.Errorf("%s", msg)
		case gate.Warning:
			fields.Warningf("%s", msg)
		default:
			fields.Noticef("%s", msg)
		}
	}
	if !c.writeFiles(a, sec, report.Outputs(run), report.Summary(run)) {
		// Later steps would read missing outputs as empty: fail loudly.
		return ExitFail
	}
	return exitStatus(run)
}

// writeFiles sets the outputs and appends the step summary. go-githubactions
// panics when GITHUB_OUTPUT or GITHUB_STEP_SUMMARY is unset or unwritable
// (github-tokens.md §6), so both are guarded and a failure is annotated. It
// reports whether the outputs were written.
func (c *Command) writeFiles(a *githubactions.Action, sec *secrets, outputs []report.Output, summary string) bool {
	ok := true
	if c.getenv("GITHUB_OUTPUT") != "" {
		if err := guard(func() {
			for _, o := range outputs {
				// SetOutput's heredoc delimiter is fixed, so a value must stay
				// on one line.
				a.SetOutput(o.Name, oneLine(sec.redact(o.Value)))
			}
		}); err != nil {
			a.WithFieldsMap(map[string]string{"title": "token-gate: outputs not written"}).Errorf("%s", sec.redact(err.Error()))
			ok = false
		}
	} else {
		a.Debugf("GITHUB_OUTPUT is not set; outputs not written")
	}
	if c.getenv("GITHUB_STEP_SUMMARY") != "" {
		if err := guard(func() { a.AddStepSummary(sec.redact(summary)) }); err != nil {
			a.WithFieldsMap(map[string]string{"title": "token-gate: summary not written"}).Warningf("%s", sec.redact(err.Error()))
		}
	}
	return ok
}

func guard(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}
