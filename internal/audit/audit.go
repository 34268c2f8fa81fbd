// Package audit judges a repository's workflows, read by package workflow,
// for what a token check needs to know: every push credential (a secret
// that logs a container client in, or that token-gate checks), where it is
// used, the images it pushes, which token-gate steps check it, and what
// publishes before it is proven. It turns the model into credentials and
// findings, plain data that the report package renders, and Fix turns the
// findings into edits of the files' text. It does no I/O.
package audit

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/token-gate/token-gate/internal/expr"
	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/image"
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

// The audit's codes.
const (
	CodeUnchecked          Code = "unchecked-credential"
	CodePublishBeforeCheck Code = "publish-before-check"
	CodeImageNotProbed     Code = "image-not-probed"
	CodeProbedNotPushed    Code = "probed-not-pushed"
	CodeUnresolved         Code = "unresolved"
	CodeUnreadable         Code = "unreadable-workflow"
)

// Codes lists every code the audit emits, for docs/codes.md's test.
func Codes() []Code {
	return []Code{CodeUnchecked, CodePublishBeforeCheck, CodeImageNotProbed, CodeProbedNotPushed, CodeUnresolved, CodeUnreadable}
}

// Result is an audit: its report, and the fix it would write.
type Result struct {
	finding.Report
	fixes []*filePlan
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

// Options are what the audit may know besides the files.
type Options struct {
	// Repository is OWNER/REPO when known, so that an image named by
	// github.repository_owner can be read.
	Repository string
	// TokenGate is the uses: reference a fix writes when no workflow uses
	// token-gate yet.
	TokenGate string
}

// DefaultTokenGate is the reference a fix writes when the workflows name
// none: the major release tag (README, "Pinning").
const DefaultTokenGate = "token-gate/token-gate@v1"

type auditor struct {
	repo     *workflow.Repo
	opts     Options
	findings []Finding
	seen     map[string]bool // findings already made, by place and message
	names    map[string]parsedName
	scripts  map[string][]command
	// templates are the strings compiled for expressions, by text.
	templates map[string]expr.Template
	// planned are the files whose findings the fix answers; fixPlans are
	// their fixes.
	planned  []string
	fixPlans []*filePlan
}

func newAuditor(repo *workflow.Repo, opts Options) *auditor {
	return &auditor{repo: repo, opts: opts, seen: map[string]bool{}, names: map[string]parsedName{}, scripts: map[string][]command{}, templates: map[string]expr.Template{}}
}

// Audit reads every workflow of the repository into runs and judges them.
func Audit(repo *workflow.Repo, opts Options) Result {
	if opts.TokenGate == "" {
		opts.TokenGate = DefaultTokenGate
	}
	a := newAuditor(repo, opts)
	runs := a.readRuns()
	creds := a.credentials(runs)
	for _, r := range runs {
		a.unchecked(r)
		a.publishBeforeCheck(r)
	}
	a.probedImages(runs, creds)
	var refs []finding.SecretRef
	for _, r := range runs {
		refs = append(refs, a.secretRefs(r)...)
	}
	a.plan(runs)
	a.fillFixes()
	// A token written into a workflow by mistake is not repeated whole in
	// annotations, the summary or the terminal.
	res := Result{Report: finding.Report{Credentials: creds.list(), Findings: a.findings, Secrets: refs}.Redacted(secret.RedactShaped), fixes: a.fixPlans}
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

// readRuns turns every workflow that runs on its own into a run, and each
// step into its events. Runs are read side by side, each by an auditor of
// its own, then their findings are taken in file order: a run reads only
// its files and the repository, never another run.
func (a *auditor) readRuns() []*run {
	runs := make([]*run, len(a.repo.Files))
	subs := make([]*auditor, len(a.repo.Files))
	// Largest first, so that no big file starts last and runs alone.
	order := make([]int, len(a.repo.Files))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return len(a.repo.Files[y].Source) - len(a.repo.Files[x].Source) })
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, i := range order {
		f := a.repo.Files[i]
		if f.Err != nil || a.calledOnly(f) {
			continue // a called workflow is read inside each run that calls it
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sub := newAuditor(a.repo, a.opts)
			r := sub.buildRun(f)
			for _, n := range r.nodes {
				sub.stepEvents(n)
			}
			runs[i], subs[i] = r, sub
		}()
	}
	wg.Wait()
	var out []*run
	for i, f := range a.repo.Files {
		if f.Err != nil {
			a.add(Finding{Code: CodeUnreadable, Severity: Error, Place: Place{File: f.Path, Line: f.Err.Pos.Line, Column: f.Err.Pos.Col},
				Message: "This file cannot be read as a workflow: " + f.Err.Msg + ". GitHub will not run it either; the other files are audited.",
				Fix:     "Correct the file (actionlint shows the same error), then run the audit again."})
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
		pl.Job = n.job.ID
	}
	if s != nil {
		pl.Step = s.Label()
	}
	return pl
}

// registryMatches reports whether a check of one registry covers a use of
// another: the same host, or, for a check of GitHub's registry (no
// registry input), any GitHub registry (ghcr.io, containers.HOST).
func registryMatches(checked, used string) bool {
	if checked == used {
		return true
	}
	return checked == githubRegistry && strings.HasPrefix(used, "containers.")
}

func (k credKey) matches(other credKey) bool {
	return k.secret == other.secret && registryMatches(k.registry, other.registry)
}

// gates reports that e's success is needed before later runs: it is a step
// before later in the same job (which does not run anyway), or in a job
// whose failure keeps later's job from running.
func gates(e, later *event) bool {
	if !e.gates {
		return false
	}
	if e.node == later.node {
		return e.step.Index < later.step.Index && !later.runsAnyway
	}
	return later.node.gatedBy()[e.node]
}

// credentials gathers every credential, its uses, images and checks.
func (a *auditor) credentials(runs []*run) *credSet {
	cs := &credSet{byKey: map[credKey]*Credential{}, unlisted: map[credKey]bool{}}
	for _, r := range runs {
		for _, n := range r.nodes {
			var logins []*event
			for _, e := range n.events {
				switch e.kind {
				case evLogin:
					c := cs.get(e.cred, e.username)
					c.Uses = append(c.Uses, e.place)
					logins = append(logins, e)
				case evCheck:
					if e.hasCred {
						c := cs.get(e.cred, e.username)
						c.Uses = append(c.Uses, e.place)
						c.CheckedBy = append(c.CheckedBy, CheckPlace{File: e.place.File, Line: e.place.Line, Job: e.place.Job})
					}
				case evPush:
					login := lastLogin(logins, e)
					if login == nil && e.image == "" {
						continue // its notice is given
					}
					if login == nil {
						a.unresolved(e.place, "", fmt.Sprintf("Step %q of job %s pushes %s, but no login to %s comes before it in the job, so the credential it pushes with is not known.",
							e.step.Label(), n.id, e.image, image.DisplayHost(e.registry)))
						continue
					}
					e.cred, e.hasCred = login.cred, true
					c := cs.get(login.cred, login.username)
					if e.image == "" {
						cs.unlisted[login.cred] = true
						continue
					}
					if !slices.Contains(c.Images, e.image) {
						c.Images = append(c.Images, e.image)
					}
				}
			}
		}
	}
	return cs
}

// lastLogin is the last login before push, in its job, to its registry:
// the credential docker pushes with.
func lastLogin(logins []*event, push *event) *event {
	reg := push.registry
	var found *event
	for _, l := range logins {
		if l.step.Index <= push.step.Index && l.cred.registry == reg {
			found = l
		}
	}
	return found
}

func registryOf(img string) string {
	host, _, _ := strings.Cut(img, "/")
	return image.RegistryFromInput(host)
}

type credSet struct {
	order []credKey
	byKey map[credKey]*Credential
	// unlisted are the credentials that push some image the audit cannot
	// name: nobody can say that they never push a given one.
	unlisted map[credKey]bool
}

func (cs *credSet) get(k credKey, username string) *Credential {
	if c, ok := cs.byKey[k]; ok {
		if c.Username == "" {
			c.Username = username
		}
		return c
	}
	c := &Credential{Secret: k.secret, Registry: image.DisplayHost(k.registry), Username: username, Uses: []Place{}, Images: []string{}, CheckedBy: []CheckPlace{}}
	cs.byKey[k] = c
	cs.order = append(cs.order, k)
	return c
}

func (cs *credSet) list() []Credential {
	out := make([]Credential, 0, len(cs.order))
	for _, k := range cs.order {
		c := *cs.byKey[k]
		sort.Strings(c.Images)
		out = append(out, c)
	}
	return out
}
