package command

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/gate"
	"github.com/token-gate/token-gate/internal/report"
	"github.com/token-gate/token-gate/internal/secret"
)

// inputEnv is how the runner names an input's variable: upper-cased, spaces
// to underscores, hyphens kept (INPUT_REQUIRED-SCOPES; docs/facts.md, "How
// the runner starts the container").
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

func (c *Command) action(ctx context.Context) int {
	a := githubactions.New(githubactions.WithGetenv(c.getenv), githubactions.WithWriter(c.Stdout))

	// The runner passes every declared input, defaults included; a variable
	// that is absent (a hand-made run, or `uses: docker://`, which passes
	// only what is under with:) takes token-gate's own default.
	raw := config.Raw{}
	for _, in := range config.Inputs() {
		if v, ok := c.LookupEnv(inputEnv(in.Name)); ok {
			raw[in.Name] = v
		}
	}

	// Mask first: nothing is printed before every credential is masked
	// (docs/facts.md, "Workflow commands").
	sec := secret.NewSet(a.AddMask)
	maskInputs(sec, raw)

	cfg, err := config.Parse(raw, c.getenv, false)
	if err != nil {
		msg := sec.Redact(err.Error())
		a.WithFieldsMap(map[string]string{"title": "token-gate: bad input"}).Errorf("%s", msg)
		// Every output exists on every run: those of a run that judged
		// nothing, with the kind the prefix alone tells.
		outputs := report.Outputs(gate.Run{})
		for i := range outputs {
			if outputs[i].Name == "token-type" {
				outputs[i].Value = string(badInputKind(raw))
			}
		}
		c.writeFiles(a, outputs, fmt.Sprintf("## ❌ token-gate: bad input\n\n%s\n\nNothing was sent to GitHub.\n", report.Markdown(msg)))
		return ExitUsage
	}

	if cfg.Inventory.Owner != "" {
		return c.inventoryAction(ctx, a, cfg, sec)
	}
	run := c.run(ctx, cfg, sec)
	step := report.StepOptions{AuditShownBy: c.getenv(auditShownEnv)}
	annotate(a, report.Annotations(run, step))
	outputs, summary, cut := report.Step(run, step)
	if cut {
		c.logFullReport(a, run)
	}
	if !c.writeFiles(a, outputs, summary) {
		// Later steps would read missing outputs as empty: fail loudly.
		return ExitFail
	}
	if run.Audit != nil && step.AuditShownBy == "" {
		c.markAuditShown(a)
	}
	return exitStatus(run)
}

// auditShownEnv tells the later token-gate steps of a job that this one
// annotated the workflow audit, so that each finding is annotated once,
// however many steps of the job audit (docs/formats.md, "Annotations in
// the action").
const auditShownEnv = "TOKEN_GATE_AUDIT_SHOWN"

// markAuditShown sets auditShownEnv, for the job's later steps only,
// through GITHUB_ENV (docs/facts.md, "Runner environment"), to this step's
// GITHUB_ACTION, which names it.
func (c *Command) markAuditShown(a *githubactions.Action) {
	path := c.getenv("GITHUB_ENV")
	if path == "" {
		return // not a runner's job
	}
	id := c.getenv("GITHUB_ACTION")
	if id == "" {
		id = "__token-gate"
	}
	if err := appendFileCommand("GITHUB_ENV", path, []report.Output{{Name: auditShownEnv, Value: id}}); err != nil {
		a.Debugf("%s not set, so a later token-gate step of this job annotates the audit again: %v", auditShownEnv, err)
	}
}

// writeFiles sets the outputs and appends the step summary, and reports
// whether the outputs were written. Outside Actions, where GITHUB_OUTPUT or
// GITHUB_STEP_SUMMARY is unset, it skips them rather than let
// go-githubactions panic (docs/facts.md, "Workflow commands").
func (c *Command) writeFiles(a *githubactions.Action, outputs []report.Output, summary string) bool {
	ok := true
	if path := c.getenv("GITHUB_OUTPUT"); path != "" {
		if err := writeOutputs(path, outputs); err != nil {
			a.WithFieldsMap(map[string]string{"title": "token-gate: outputs not written"}).Errorf("%s", err)
			ok = false
		}
	} else {
		a.Debugf("GITHUB_OUTPUT is not set; outputs not written")
	}
	if c.getenv("GITHUB_STEP_SUMMARY") != "" {
		if err := guard(func() { a.AddStepSummary(summary) }); err != nil {
			a.WithFieldsMap(map[string]string{"title": "token-gate: summary not written"}).Warningf("%s", err)
		}
	}
	return ok
}

// logFullReport prints the whole terminal report to the log when the summary
// or the report output had to be cut. Server text in it is kept from acting
// as a workflow command by stop-commands with a random token.
func (c *Command) logFullReport(a *githubactions.Action, run gate.Run) {
	resume, err := delimiterFor("")
	if err != nil {
		return
	}
	a.Group("token-gate: full report")
	a.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: resume})
	fmt.Fprint(c.Stdout, report.Terminal(run, report.Style{}))
	a.IssueCommand(&githubactions.Command{Name: resume})
	a.EndGroup()
}

// annotate writes each annotation as a workflow command, escaped by
// go-githubactions as the runner reads it (docs/facts.md, "Workflow
// commands"): the action's, and the audit's --format github.
func annotate(a *githubactions.Action, anns []report.Annotation) {
	for _, an := range anns {
		props := map[string]string{"title": an.Title}
		if an.File != "" {
			// On the workflow file: shown there, and in pull requests.
			props["file"], props["line"], props["col"] = an.File, strconv.Itoa(an.Line), strconv.Itoa(an.Column)
		}
		fields := a.WithFieldsMap(props)
		switch an.Severity {
		case gate.Error:
			fields.Errorf("%s", an.Message)
		case gate.Warning:
			fields.Warningf("%s", an.Message)
		default:
			fields.Noticef("%s", an.Message)
		}
	}
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
