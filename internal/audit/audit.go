// Package audit judges a repository's workflows, read by package workflow,
// for what a token check needs to know: every push credential (a secret
// that logs a container client in, or that token-gate checks), where it is
// used, the images it pushes, which token-gate steps check it, and what can
// publish before it is first used. It reads each workflow into a run
// (run.go), asks the run plan (plan.go) what happens when a credential is
// bad, and turns that into credentials and findings, plain data that the
// report package renders (package finding); the fix (fixplan.go,
// fixedit.go) turns the findings into edits of the files' text, checked
// against the run plan before it is offered. It does no I/O.
package audit

import (
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/image"
	"github.com/token-gate/token-gate/internal/parallel"
	"github.com/token-gate/token-gate/internal/secret"
	"github.com/token-gate/token-gate/internal/workflow"
)

// The audit's words for the data it shares with the gate and the reports
// (package finding).
type (
	Severity   = finding.Severity
	Code       = finding.Code
	Place      = finding.Place
	Finding    = finding.Finding
	Credential = finding.Credential
	CheckPlace = finding.CheckPlace
)

// The severities.
const (
	Error   = finding.Error
	Warning = finding.Warning
	Notice  = finding.Notice
)

// The audit's codes; docs/codes.md says what each means.
const (
	CodeUnchecked          Code = "unchecked-credential"
	CodePublishBeforeCheck Code = "publish-before-check"
	CodeImagesInPart       Code = "images-in-part"
	CodeImageNotProbed     Code = "image-not-probed"
	CodeProbedNotPushed    Code = "probed-not-pushed"
	CodeCannotCheck        Code = "cannot-check"
	CodeCannotGate         Code = "cannot-gate"
	CodeUnrecognised       Code = "unrecognised-step"
	CodeUnresolved         Code = "unresolved"
	CodeUnreadable         Code = "unreadable-workflow"
	CodeInternal           Code = "internal-error"
	CodeReplaceable        Code = "replaceable"
)

// Codes lists every code the audit emits, for docs/codes.md's test.
func Codes() []Code {
	return []Code{CodePublishBeforeCheck, CodeImagesInPart, CodeUnchecked, CodeImageNotProbed, CodeProbedNotPushed,
		CodeCannotCheck, CodeCannotGate, CodeReplaceable, CodeUnrecognised, CodeUnresolved, CodeUnreadable, CodeInternal}
}

// Result is an audit: its report, and the fix it would write.
type Result struct {
	finding.Report
	fixes []*filePlan
}

// Options are what the audit may know besides the files.
type Options struct {
	// Repository is OWNER/REPO when known, so that an image named by
	// github.repository can be read; RepositoryFrom says where it was
	// read (GITHUB_REPOSITORY, git remote get-url origin).
	Repository     string
	RepositoryFrom string
	// TokenGate is the uses: reference a fix writes when no workflow uses
	// token-gate yet (version.Info.ActionRef). In a file that pins its
	// actions by commit SHA, the fix says to pin it too: a build cannot
	// know the commit its release tag points at.
	TokenGate string
	// Ignored says which findings an ignore comment suppresses: --fix
	// answers none of them (a suppressed unchecked-credential gets no
	// check), and they are still reported, for the caller to set aside.
	Ignored func(Finding) bool
}

// DefaultTokenGate is the reference a fix writes when the workflows name
// none and this build is no release: until the first release, @main is the
// one that exists (docs/install.md). A release build writes its major tag
// (Options).
const DefaultTokenGate = "token-gate/token-gate@main"

type auditor struct {
	repo     *workflow.Repo
	opts     Options
	findings []Finding
	seen     map[string]bool // findings already made, by place and message
	memo     *memo
}

func newAuditor(repo *workflow.Repo, opts Options) *auditor {
	return &auditor{repo: repo, opts: opts, seen: map[string]bool{}, memo: newMemo()}
}

// child is an auditor of its own findings that shares a's memo.
func (a *auditor) child(repo *workflow.Repo, opts Options) *auditor {
	sub := newAuditor(repo, opts)
	sub.memo = a.memo
	return sub
}

// Audit reads every workflow of the repository into runs and judges them.
// A panic while reading or judging one file becomes an internal-error
// finding on that file; the other files are still audited.
func Audit(repo *workflow.Repo, opts Options) (res Result) {
	if opts.TokenGate == "" {
		opts.TokenGate = DefaultTokenGate
	}
	a := newAuditor(repo, opts)
	defer func() {
		// A bug outside any one file's audit still never takes the
		// caller (the token check) down: it is a finding.
		if v := recover(); v != nil {
			file := &workflow.File{Path: workflow.Dir}
			if len(repo.Files) > 0 {
				file = repo.Files[0]
			}
			a.findings = nil
			a.internalError(file, v)
			res = Result{Report: finding.Report{Findings: a.findings, Credentials: []Credential{}}}
		}
	}()
	a.refusedPaths()
	runs := a.readRuns()
	creds := a.credentials(runs)
	var refs []finding.SecretRef
	var publishes []finding.Publish
	var plans []*filePlan
	seen := map[string]bool{}
	for _, r := range runs {
		a.guard(r.root, func(sub *auditor) {
			sub.judge(r, creds)
			refs = append(refs, sub.secretRefs(r)...)
			publishes = append(publishes, sub.publishes(r, seen)...)
			if p := sub.planFix(r, creds); p != nil {
				plans = append(plans, p)
			}
		})
	}
	res = Result{Report: finding.Report{Repository: opts.Repository, RepositoryFrom: opts.RepositoryFrom, Credentials: creds.list(), Findings: a.findings, Secrets: refs, Publishes: publishes}.Redacted(secret.RedactShaped), fixes: plans}
	for _, f := range repo.Files {
		res.Workflows = append(res.Workflows, f.Path)
	}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		x, y := res.Findings[i], res.Findings[j]
		if x.File != y.File {
			return x.File < y.File
		}
		if x.Line != y.Line {
			return x.Line < y.Line
		}
		return x.Column < y.Column
	})
	return res
}

// refusedPaths says which workflow files were not read because they
// leave the repository (workflow.Load): a link to a file outside it. What
// they do is not audited, and --fix never writes through them. A local
// action outside the repository is said at the step that uses it.
func (a *auditor) refusedPaths() {
	for _, r := range a.repo.Refused {
		if !strings.HasPrefix(r.Path, workflow.Dir) {
			continue
		}
		a.add(Finding{Code: CodeUnresolved, Severity: Notice, Place: Place{File: r.Path, Line: 1, Column: 1},
			Message: fmt.Sprintf("%s is %s: token-gate does not follow it, so what it pushes or publishes is not audited.", clipText(r.Path), r.Why),
			Fix:     "Audit that file in the repository it belongs to, or copy it here."})
	}
}

// judge runs every rule over one run.
func (a *auditor) judge(r *run, creds *credSet) {
	a.publishBeforeCheck(r)
	a.imagesInPart(r)
	a.unchecked(r, creds)
	a.probedImages(r, creds)
	a.cannotGate(r)
	a.replaceable(r, creds)
	if len(r.skipped) > 0 {
		a.add(Finding{Code: CodeUnresolved, Severity: Notice, Place: Place{File: r.root.Path, Line: max(r.root.JobsKey.Line, 1), Column: 1},
			Message: "This workflow is larger than the audit follows: it left out " + wordsList(dedupe(r.skipped)) + ". What is there is not audited.",
			Fix:     "Nothing to change for GitHub; check what the rest pushes by hand."})
	}
}

// guard runs f with an auditor of its own, and turns a panic into an
// internal-error finding on file: one file's bug never hides the others'.
func (a *auditor) guard(file *workflow.File, f func(sub *auditor)) {
	sub := a.child(a.repo, a.opts)
	defer func() {
		if v := recover(); v != nil {
			a.internalError(file, v)
			return
		}
		for _, fd := range sub.findings {
			a.add(fd)
		}
	}()
	f(sub)
}

// internalError says a file could not be audited because of a bug, with
// where in token-gate it happened (never a stack trace: one frame, the
// audit's own).
func (a *auditor) internalError(file *workflow.File, v any) {
	where := ""
	for _, line := range strings.Split(string(debug.Stack()), "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(line, "/internal/") && strings.Contains(line, ".go:") && !strings.Contains(line, "audit.go") {
			where = line[strings.LastIndex(line, "/internal/")+1:]
			if i := strings.Index(where, " +0x"); i >= 0 {
				where = where[:i]
			}
			break
		}
	}
	a.add(Finding{Code: CodeInternal, Severity: Error, Place: Place{File: file.Path, Line: 1, Column: 1},
		Message: fmt.Sprintf("token-gate failed while auditing this file (%s at %s); this is a bug in token-gate, not in the workflow. The other files were audited.", clipText(fmt.Sprint(v)), where),
		Fix:     "Please report it at https://github.com/token-gate/token-gate/issues with this message; the workflow need not change."})
}

// readRuns turns every workflow that runs on its own into a run, and each
// step into its events. Runs are read side by side, each by an auditor of
// its own, then their findings are taken in file order: a run reads only
// its files and the repository, never another run.
func (a *auditor) readRuns() []*run {
	runs := make([]*run, len(a.repo.Files))
	subs := make([]*auditor, len(a.repo.Files))
	panics := make([]any, len(a.repo.Files))
	// Largest first, so that no big file starts last and runs alone.
	order := make([]int, len(a.repo.Files))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return len(a.repo.Files[y].Source) - len(a.repo.Files[x].Source) })
	refused := make([]*Finding, len(a.repo.Files))
	for i, f := range a.repo.Files {
		if f.Err == nil {
			refused[i] = a.refusedByGitHub(f)
		}
	}
	var roots []int
	for _, i := range order {
		f := a.repo.Files[i]
		if f.Err != nil || refused[i] != nil || a.calledOnly(f) {
			continue // a called workflow is read inside each run that calls it
		}
		roots = append(roots, i)
	}
	read := func(i int) {
		defer func() {
			if v := recover(); v != nil {
				panics[i], runs[i] = v, nil
			}
		}()
		sub := a.child(a.repo, a.opts)
		runs[i], subs[i] = sub.buildRun(a.repo.Files[i]), sub
	}
	parallel.Each(roots, read)
	var out []*run
	for i, f := range a.repo.Files {
		switch {
		case f.Err != nil && f.Err.Bound:
			a.add(Finding{Code: CodeUnreadable, Severity: Error, Place: Place{File: f.Path, Line: f.Err.Pos.Line, Column: f.Err.Pos.Col},
				Message: "token-gate does not read this file: " + f.Err.Msg + ". What it pushes is not audited; the other files are.",
				Fix:     "Write the file out plainly (UTF-8, aliases that name a few values); if GitHub runs it as it is and you need it so, please report it."})
		case f.Err != nil:
			a.add(Finding{Code: CodeUnreadable, Severity: Error, Place: Place{File: f.Path, Line: f.Err.Pos.Line, Column: f.Err.Pos.Col},
				Message: "This file cannot be read as a workflow: " + f.Err.Msg + ". GitHub will not run it either; the other files are audited.",
				Fix:     "Correct the file (actionlint shows the same error), then run the audit again."})
		}
		if refused[i] != nil {
			a.add(*refused[i])
			continue
		}
		if panics[i] != nil {
			a.internalError(f, panics[i])
			continue
		}
		if runs[i] == nil {
			continue
		}
		for _, fd := range subs[i].findings {
			a.add(fd)
		}
		out = append(out, runs[i])
	}
	return out
}

// calledOnly reports a workflow that runs only when another calls it, and
// that a local workflow does call: it is judged inside its callers' runs.
func (a *auditor) calledOnly(f *workflow.File) bool {
	if len(f.On) != 1 || f.On[0] != "workflow_call" {
		return false
	}
	for _, other := range a.repo.Files {
		for _, j := range other.Jobs {
			if j.Uses != nil && strings.TrimPrefix(strings.SplitN(j.Uses.Text, "@", 2)[0], "./") == f.Path {
				return true
			}
		}
	}
	return false
}

func (a *auditor) add(f Finding) {
	key := fmt.Sprintf("%s:%d:%d:%s:%s", f.File, f.Line, f.Column, f.Code, f.Message)
	if a.seen[key] {
		return
	}
	a.seen[key] = true
	a.findings = append(a.findings, f)
}

func (a *auditor) unresolved(p Place, secret, msg string) {
	a.add(Finding{Code: CodeUnresolved, Severity: Notice, Place: p, Secret: secret, Message: msg,
		Fix: "Nothing to change if this is intended; the audit cannot follow it, so check what it pushes by hand."})
}

func (a *auditor) place(f *workflow.File, p workflow.Pos, n *node, s *workflow.Step) Place {
	pl := Place{File: f.Path, Line: p.Line, Column: p.Col}
	if n != nil {
		pl.Job = n.id
	}
	if s != nil {
		pl.Step = stepLabel(s)
	}
	return pl
}

// For finds the credential that a check, in job of workflow file, checks
// under name for registry (a host as people write it): the one whose
// secret is name, else the only one the token-gate steps of that job check
// for that registry; nil when there is none or it is not clear which.
func (r Result) For(name, registry, file, job string) *Credential {
	reg := image.RegistryFromInput(registry)
	var inJob []*Credential
	for i := range r.Credentials {
		c := &r.Credentials[i]
		if !registryMatches(reg, image.RegistryFromInput(c.Registry)) {
			continue
		}
		if strings.EqualFold(c.Secret, name) {
			return c
		}
		for _, p := range c.CheckedBy {
			if p.File == file && p.Job == job && file != "" {
				inJob = append(inJob, c)
				break
			}
		}
	}
	if len(inJob) == 1 {
		return inJob[0]
	}
	return nil
}

// dedupe keeps the first of each string.
func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func wordsList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// agree picks the word that agrees with n things: one, or many.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// refusedByGitHub finds what makes GitHub refuse a file that parses: an
// if: that reads secrets (docs/facts.md, "Job dependencies"). Such a file
// runs no job, and publishes nothing.
func (a *auditor) refusedByGitHub(f *workflow.File) *Finding {
	var ifs []*workflow.Value
	for _, j := range f.Jobs {
		ifs = append(ifs, j.If)
		for _, s := range j.Steps {
			ifs = append(ifs, s.If)
		}
	}
	for _, v := range ifs {
		c := a.readCond(v)
		if c == nil {
			continue
		}
		if c.node == nil {
			if _, err := expr.Parse(condText(c)); err != nil {
				return &Finding{Code: CodeUnreadable, Severity: Error, Place: Place{File: f.Path, Line: v.Pos.Line, Column: v.Pos.Col},
					Message: "GitHub refuses this whole file: this if: is no expression it reads (" + clipText(err.Error()) + "), so the workflow runs no job at all.",
					Fix:     "Correct the if: (actionlint shows the same error)."}
			}
		}
		if !slices.Contains(c.contexts(), "secrets") {
			continue
		}
		return &Finding{Code: CodeUnreadable, Severity: Error, Place: Place{File: f.Path, Line: v.Pos.Line, Column: v.Pos.Col},
			Message: "GitHub refuses this whole file: this if: reads secrets (\"Unrecognized named-value: 'secrets'\"), so the workflow runs no job at all.",
			Fix:     "Read the secret into the job's or the step's env:, and test env.NAME != '' in the if:."}
	}
	return nil
}
