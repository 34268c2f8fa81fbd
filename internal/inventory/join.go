package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/token-gate/token-gate/internal/finding"
	"github.com/token-gate/token-gate/internal/image"
)

// Join builds the inventory of an estate: each secret with where it is
// read, the findings, and what could not be read. A finding is made only
// where every part it depends on was read; a part that was not is in
// NotVisible instead, never guessed at.
func Join(e Estate, opts Options) Inventory {
	j := &joiner{e: e, opts: opts, repos: map[string]*Repository{}, shadowed: map[string]bool{}}
	for i := range e.Secrets {
		j.defs = append(j.defs, &def{Secret: e.Secrets[i]})
	}
	repos := slices.Clone(e.Repositories)
	slices.SortFunc(repos, func(a, b Repository) int { return strings.Compare(a.Name, b.Name) })
	inv := Inventory{Owner: e.Owner, Organization: e.Organization, Only: e.Only, NotVisible: slices.Clone(e.NotVisible), Notes: e.Notes}
	for i := range repos {
		r := &repos[i]
		j.repos[strings.ToLower(r.Name)] = r
		inv.Repositories = append(inv.Repositories, r.Name)
		inv.Workflows += len(r.Audit.Workflows)
	}
	for i := range repos {
		j.read(&repos[i])
	}
	for _, d := range j.defs {
		j.unused(d)
		j.old(d)
	}
	for i := range repos {
		for _, f := range repos[i].Audit.Findings {
			j.findings = append(j.findings, Finding{Finding: f, Repository: repos[i].Name})
		}
	}
	for _, d := range j.defs {
		inv.Secrets = append(inv.Secrets, d.row(opts))
	}
	slices.SortStableFunc(inv.Secrets, compareRows)
	inv.Findings = j.findings
	slices.SortStableFunc(inv.Findings, compareFindings)
	slices.SortStableFunc(inv.NotVisible, func(a, b Gap) int {
		return cmp.Or(strings.Compare(a.Repository, b.Repository), strings.Compare(a.Part, b.Part), strings.Compare(a.Environment, b.Environment), strings.Compare(a.Secret, b.Secret))
	})
	return inv
}

// compareRows orders secrets as a reader scans them: organization first,
// then each repository with its environments, by name.
func compareRows(a, b Row) int {
	return cmp.Or(
		a.Level.rank()-b.Level.rank(),
		strings.Compare(strings.ToLower(a.Repository), strings.ToLower(b.Repository)),
		strings.Compare(strings.ToLower(a.Environment), strings.ToLower(b.Environment)),
		strings.Compare(a.Name, b.Name),
	)
}

// compareFindings orders findings by repository (organization-level ones
// first), file and line, then code.
func compareFindings(a, b Finding) int {
	return cmp.Or(
		strings.Compare(strings.ToLower(a.Repository), strings.ToLower(b.Repository)),
		strings.Compare(a.File, b.File),
		a.Line-b.Line,
		a.Column-b.Column,
		strings.Compare(string(a.Code), string(b.Code)),
		strings.Compare(a.Secret, b.Secret),
	)
}

type joiner struct {
	e        Estate
	opts     Options
	defs     []*def
	repos    map[string]*Repository // by lower-case OWNER/REPO
	findings []Finding
	// shadowed holds the repository, environment and name of each
	// secret-shadowed already made: one per job's view, not one per read.
	shadowed map[string]bool
}

// def is one defined secret and what the join learns of it.
type def struct {
	Secret
	uses   []Use
	images []string
	roles  []finding.Role
	checks []Check
	note   string
	// seen is set when a job that this definition reaches reads its name,
	// even where a higher level wins: it is referenced, not unused.
	seen bool
}

func (d *def) row(opts Options) Row {
	r := Row{Secret: d.Secret, UsedBy: d.uses, Images: d.images, Roles: d.roles, CheckedBy: d.checks, GitHubToken: d.note}
	if !d.UpdatedAt.IsZero() && !opts.Now.IsZero() {
		r.AgeDays = d.ageDays(opts.Now)
	}
	return r
}

// ageDays is whole days since the secret was last set.
func (d *def) ageDays(now time.Time) int {
	return max(int(now.Sub(d.UpdatedAt).Hours()/24), 0)
}

// candidates is what a job may read under one name: the definitions that
// reach it, highest level first, and which levels could not be read.
type candidates struct {
	defs []*def
	// unknown marks the levels that were not readable for this job.
	unknown map[Level]bool
	// elsewhere names the environments of the repository that define the
	// name but are not the job's: for secret-missing's words.
	elsewhere []string
}

// winner is the definition the job reads, and whether it is certain: no
// level above it was unreadable.
func (c candidates) winner() (*def, bool) {
	if len(c.defs) == 0 {
		return nil, false
	}
	w := c.defs[0]
	for l := range c.unknown {
		if l.rank() > w.Level.rank() {
			return w, false
		}
	}
	return w, true
}

// read joins one repository's secret references with the definitions.
func (j *joiner) read(r *Repository) {
	for _, ref := range r.Audit.Secrets {
		c := j.candidatesFor(r, ref)
		for _, d := range c.defs {
			d.seen = true
		}
		if dynamicEnvironment(ref.Environment) {
			// Any environment may be meant: the name is read wherever it
			// is defined there, and nothing more can be said.
			for _, d := range c.defs {
				j.use(d, r, ref)
			}
			continue
		}
		w, certain := c.winner()
		switch {
		case w == nil && len(c.unknown) == 0:
			j.missing(r, ref, c)
		case w == nil:
			// Not defined where it could be seen, and some level could not
			// be: NotVisible says which.
		default:
			j.use(w, r, ref)
			if certain {
				j.shadow(r, ref, c, w)
			}
		}
	}
}

func dynamicEnvironment(env string) bool { return strings.Contains(env, "${{") }

func (j *joiner) candidatesFor(r *Repository, ref finding.SecretRef) candidates {
	c := candidates{unknown: map[Level]bool{}}
	add := func(d *def) {
		if d != nil {
			c.defs = append(c.defs, d)
		}
	}
	// Environment: only the job's own, or any when it is an expression.
	if !r.EnvironmentsRead {
		if ref.Environment != "" {
			c.unknown[LevelEnvironment] = true
		}
	} else {
		for _, env := range r.Environments {
			d := j.find(LevelEnvironment, r.Name, env.Name, ref.Secret)
			mine := ref.Environment != "" && (dynamicEnvironment(ref.Environment) || strings.EqualFold(env.Name, ref.Environment))
			switch {
			case mine && !env.SecretsRead:
				c.unknown[LevelEnvironment] = true
			case mine:
				add(d)
			case d != nil:
				c.elsewhere = append(c.elsewhere, env.Name)
			}
		}
	}
	// Repository.
	if r.RepoSecretsRead {
		add(j.find(LevelRepository, r.Name, "", ref.Secret))
	} else {
		c.unknown[LevelRepository] = true
	}
	// Organization: the secrets shared with this repository.
	if j.e.Organization {
		found := false
		for _, d := range j.defs {
			if d.Level != LevelOrganization || !sameName(d.Name, ref.Secret) {
				continue
			}
			found = true
			reaches, known := Reaches(d.Secret, r)
			switch {
			case !known:
				c.unknown[LevelOrganization] = true
			case reaches:
				add(d)
			}
		}
		if !found && !j.e.OrgSecretsRead && !r.OrgSecretsRead {
			c.unknown[LevelOrganization] = true
		}
	}
	return c
}

// find returns the definition of name at a level, or nil.
func (j *joiner) find(level Level, repo, env, name string) *def {
	for _, d := range j.defs {
		if d.Level == level && strings.EqualFold(d.Repository, repo) && strings.EqualFold(d.Environment, env) && sameName(d.Name, name) {
			return d
		}
	}
	return nil
}

// Reaches says whether an organization secret reaches a repository, and
// whether that is known: from the repository's own list of the
// organization secrets it can see when it was read, else from the
// secret's visibility (docs/facts.md, "Secret precedence").
func Reaches(s Secret, r *Repository) (reaches, known bool) {
	if r.OrgSecretsRead {
		return slices.ContainsFunc(r.OrgSecrets, func(n string) bool { return sameName(n, s.Name) }), true
	}
	switch s.Visibility {
	case "all":
		return true, true
	case "private":
		switch r.Visibility {
		case "private", "internal":
			return true, true
		case "public":
			return false, true
		}
	case "selected":
		if s.SelectedRead {
			return slices.ContainsFunc(s.Selected, func(n string) bool { return strings.EqualFold(n, r.Name) }), true
		}
	}
	return false, false
}

// use records that ref reads d, with what the audit says the credential
// pushes and what checks it.
func (j *joiner) use(d *def, r *Repository, ref finding.SecretRef) {
	d.uses = append(d.uses, Use{Repository: r.Name, SecretRef: ref})
	if !slices.Contains(d.roles, ref.Role) {
		d.roles = append(d.roles, ref.Role)
	}
	owner, _, _ := strings.Cut(r.Name, "/")
	for _, c := range r.Audit.Credentials {
		if !sameName(c.Secret, ref.Secret) || !slices.ContainsFunc(c.Uses, func(p finding.Place) bool { return p.File == ref.File && p.Job == ref.Job }) {
			continue
		}
		for _, img := range c.Images {
			if !slices.Contains(d.images, img) {
				d.images = append(d.images, img)
			}
			if d.note == "" {
				d.note = otherOwner(img, owner, r.Name)
			}
		}
		for _, p := range c.CheckedBy {
			ch := Check{Repository: r.Name, CheckPlace: p}
			if !slices.Contains(d.checks, ch) {
				d.checks = append(d.checks, ch)
			}
		}
	}
}

// otherOwner says why GITHUB_TOKEN cannot push img from repository, when
// img is a ghcr.io package of another owner: GITHUB_TOKEN writes only the
// packages of its own repository's owner (docs/facts.md, "GitHub Packages").
func otherOwner(img, owner, repository string) string {
	host, path, ok := strings.Cut(img, "/")
	if !ok || host != image.GHCR {
		return ""
	}
	pkgOwner, _, _ := strings.Cut(path, "/")
	if pkgOwner == "" || strings.EqualFold(pkgOwner, owner) {
		return ""
	}
	return fmt.Sprintf("GITHUB_TOKEN cannot replace it: it pushes %s from %s, and a workflow's GITHUB_TOKEN writes only packages of its own repository's owner (%s), never %s's", img, repository, owner, pkgOwner)
}

// missing reports a read of a name defined nowhere the job can see.
func (j *joiner) missing(r *Repository, ref finding.SecretRef, c candidates) {
	job := "job " + ref.Job
	var msg, fix string
	if len(c.elsewhere) > 0 {
		where := "names no environment"
		if ref.Environment != "" {
			where = "runs in environment " + ref.Environment
		}
		msg = fmt.Sprintf("%s reads secrets.%s, which %s defines only in environment %s, and the job %s, so it reads an empty value here.",
			job, ref.Secret, r.Name, strings.Join(c.elsewhere, ", "), where)
		fix = fmt.Sprintf("Give job %s environment: %s, or define %s as a repository secret (gh secret set %s --repo %s).", ref.Job, c.elsewhere[0], ref.Secret, ref.Secret, r.Name)
	} else {
		msg = fmt.Sprintf("%s reads secrets.%s, which is defined nowhere this job can see (its environment, %s's repository secrets, the organization secrets shared with it), so it reads an empty value.", job, ref.Secret, r.Name)
		fix = fmt.Sprintf("Define it (gh secret set %s --repo %s), share the organization secret with %s, or correct the name.", ref.Secret, r.Name, r.Name)
	}
	j.findings = append(j.findings, Finding{Repository: r.Name, Via: ref.Via, Finding: finding.Finding{
		Code: CodeMissing, Severity: finding.Error, Place: ref.Place, Secret: ref.Secret, Message: msg, Fix: fix,
	}})
}

// shadow reports, once per job's view, a name defined at two levels that
// both reach the job, and which one it reads.
func (j *joiner) shadow(r *Repository, ref finding.SecretRef, c candidates, w *def) {
	var levels []string
	for _, d := range c.defs {
		if d.Level != w.Level && !slices.Contains(levels, string(d.Level)) {
			levels = append(levels, string(d.Level))
		}
	}
	if len(levels) == 0 {
		return
	}
	key := strings.ToLower(r.Name + "\x00" + w.Environment + "\x00" + ref.Secret)
	if j.shadowed[key] {
		return
	}
	j.shadowed[key] = true
	winner := string(w.Level) + " secret"
	if w.Level == LevelEnvironment {
		winner = fmt.Sprintf("environment %s's secret", w.Environment)
	}
	msg := fmt.Sprintf("%s is defined as a %s and at %s level too, and job %s reads the %s: the %s level's value is never read here.",
		ref.Secret, winner, strings.Join(levels, " and "), ref.Job, winner, strings.Join(levels, " and "))
	fix := fmt.Sprintf("Keep one: delete the %s level's %s if the %s is the one meant, or rename one of them so each says what it holds.", strings.Join(levels, " and "), ref.Secret, winner)
	j.findings = append(j.findings, Finding{Repository: r.Name, Wins: w.Level, Via: ref.Via, Finding: finding.Finding{
		Code: CodeShadowed, Severity: finding.Warning, Place: ref.Place, Secret: ref.Secret, Message: msg, Fix: fix,
	}})
}

// unused reports a definition that nothing reads, where every repository
// it reaches was read and reads secrets only by their names.
func (j *joiner) unused(d *def) {
	if d.seen {
		return
	}
	var msg, fix, repo string
	switch d.Level {
	case LevelRepository, LevelEnvironment:
		r := j.repos[strings.ToLower(d.Repository)]
		if r == nil || !r.WorkflowsRead || r.ReadsAnySecret {
			return
		}
		repo = r.Name
		if d.Level == LevelEnvironment {
			msg = fmt.Sprintf("%s is a secret of environment %s of %s, and no job of %s's workflows reads it there.", d.Name, d.Environment, r.Name, r.Name)
			fix = fmt.Sprintf("Delete it (gh secret delete %s --env %s --repo %s) if nothing else reads it: a token that does not exist never expires.", d.Name, d.Environment, r.Name)
		} else {
			msg = fmt.Sprintf("%s is a repository secret of %s, and %s.", d.Name, r.Name, noneReads(len(r.Audit.Workflows)))
			fix = fmt.Sprintf("Delete it (gh secret delete %s --repo %s) if nothing else reads it: a token that does not exist never expires.", d.Name, r.Name)
		}
	case LevelOrganization:
		if j.e.Only != "" || !j.e.Complete {
			return // one repository, or not all of them, cannot tell
		}
		reached := 0
		for _, r := range j.repos {
			reaches, known := Reaches(d.Secret, r)
			if !known || reaches && (!r.WorkflowsRead || r.ReadsAnySecret) {
				return
			}
			if reaches {
				reached++
			}
		}
		for _, s := range j.e.Skipped {
			if s.Archived {
				continue // it runs no workflow
			}
			if reaches, known := Reaches(d.Secret, &s); !known || reaches {
				return // a repository left out may read it
			}
		}
		scope := fmt.Sprintf("none of the %s it reaches that this token can read reads it", plural(reached, "repository", "repositories"))
		if reached == 0 {
			scope = "it reaches none of the repositories this token can read"
		}
		what := "an organization secret"
		if d.Visibility != "" {
			what += " (visibility " + d.Visibility + ")"
		}
		msg = fmt.Sprintf("%s is %s, and %s.", d.Name, what, scope)
		fix = fmt.Sprintf("Delete it (gh secret delete %s --org %s) if nothing else reads it: a token that does not exist never expires.", d.Name, j.e.Owner)
	default:
		return
	}
	j.findings = append(j.findings, Finding{Repository: repo, Finding: finding.Finding{
		Code: CodeUnused, Severity: finding.Warning, Secret: d.Name, Message: msg, Fix: fix,
	}})
}

// old reports a push or publish credential set longer ago than
// max-age-days: GitHub shows when a secret was set, never its value, so
// its expiry cannot be read here.
func (j *joiner) old(d *def) {
	if j.opts.MaxAgeDays <= 0 || d.UpdatedAt.IsZero() || j.opts.Now.IsZero() {
		return
	}
	age := d.ageDays(j.opts.Now)
	if age <= j.opts.MaxAgeDays {
		return
	}
	var first *Use
	for i := range d.uses {
		u := &d.uses[i]
		if u.Role != finding.RolePush && u.Role != finding.RolePublish {
			continue
		}
		if first == nil || compareUses(*u, *first) < 0 {
			first = u
		}
	}
	if first == nil {
		return // it pushes and publishes nothing the audit sees
	}
	what := "pushes"
	if first.Role == finding.RolePublish {
		what = "publishes"
	}
	where := string(d.Level) + " secret"
	if d.Level == LevelEnvironment {
		where = "secret of environment " + d.Environment
	}
	msg := fmt.Sprintf("%s (a %s) %s, and was last set %s, %d days ago, more than max-age-days (%d). GitHub shows when a secret was set, never its value, so its expiry cannot be read here: it may expire, or have expired, at any time.",
		d.Name, where, what, d.UpdatedAt.UTC().Format("2006-01-02"), age, j.opts.MaxAgeDays)
	fix := "Check it where it is used, with a token-gate step before the job that " + what + " (it reads a GitHub token's expiry), and rotate it; or replace it with a short-lived credential where one works."
	j.findings = append(j.findings, Finding{Repository: first.Repository, Via: first.Via, Finding: finding.Finding{
		Code: CodeOld, Severity: finding.Warning, Place: first.Place, Secret: d.Name, Message: msg, Fix: fix,
	}})
}

func compareUses(a, b Use) int {
	return cmp.Or(strings.Compare(a.Repository, b.Repository), strings.Compare(a.File, b.File), a.Line-b.Line)
}

func noneReads(workflows int) string {
	switch workflows {
	case 0:
		return "it has no workflow to read it"
	case 1:
		return "its one workflow does not read it"
	}
	return fmt.Sprintf("none of its %d workflows reads it", workflows)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
