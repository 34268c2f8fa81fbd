// Package finding holds the plain data that the workflow audit produces and
// that the gate, the reports and the inventory read: how grave a finding is,
// where it stands, what it says and how to fix it, and where each push
// credential is used. It sits below them all so that none of them needs
// another's package to speak of a finding; it judges and renders nothing.
package finding

import "slices"

// Severity ranks a finding as workflow annotations do.
type Severity string

// The severities, named as the workflow commands are.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Notice  Severity = "notice"
)

// Code names a finding for code; each has its anchor in docs/codes.md.
type Code string

// Place is where something stands: a file, a line and column, a job and a
// step.
type Place struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Job    string `json:"job"`
	Step   string `json:"step,omitempty"`
	// Times is, for a place many calls of a reusable workflow reach, how
	// many; 0 for one.
	Times int `json:"times,omitempty"`
}

// Finding is one thing the audit says, with its fix: Fix says in words what
// to do; Snippet, when there is one, is the workflow text to add.
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Place
	Secret  string `json:"secret"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
	Snippet string `json:"snippet,omitempty"`
	// Jobs are the jobs a finding is about, where it names several (the
	// jobs that can publish before a check).
	Jobs []string `json:"jobs,omitempty"`
}

// Publish is one step that publishes: an image push, or anything else
// that a registry's failure cannot take back.
type Publish struct {
	// Place is the step: its uses: line, or the line of the command.
	Place
	// Kind is image, pypi, npm, cargo, github-release, helm, galaxy,
	// rubygems, maven, nuget, vscode, or other.
	Kind   string `json:"kind"`
	Target string `json:"target"`
	// Known is false for a step that looks like a push or a publish but
	// that no recogniser knows.
	Known bool `json:"known"`
	// Caller is, for a step of a called workflow, the calling job's uses:
	// line in the workflow that runs it.
	Caller *Place `json:"caller,omitempty"`
	// Secret is, for an image, the credential it is pushed with; for
	// anything else, the secret the step publishes with, if any.
	Secret string `json:"secret,omitempty"`
}

// Credential is one push credential: a secret, for one registry.
type Credential struct {
	// Secret is the secret's name as the workflows write it, or
	// GITHUB_TOKEN for secrets.GITHUB_TOKEN and github.token.
	Secret string `json:"secret"`
	// Registry is the registry's name as people write it (docker.io).
	Registry string `json:"registry"`
	// Username is how the first login names the account, as written.
	Username string `json:"username"`
	// CannotCheck says why token-gate cannot check it (AWS keys that a
	// login trades for a registry password), "" when it can.
	CannotCheck string   `json:"cannot-check,omitempty"`
	Uses        []Place  `json:"uses"`
	Images      []string `json:"images"`
	// PushesUnnamed says it also pushes images the audit cannot name.
	PushesUnnamed bool         `json:"pushes-unnamed,omitempty"`
	CheckedBy     []CheckPlace `json:"checked_by"`
}

// CheckPlace is a token-gate step that checks a credential.
type CheckPlace struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Job  string `json:"job"`
}

// Role is what a secret does where it is read.
type Role string

// The roles of a secret reference.
const (
	RolePush     Role = "push"     // logs a registry client in, or pushes
	RoleUsername Role = "username" // the account name of a login
	RolePublish  Role = "publish"  // a publish step's credential (PyPI, npm, …)
	RoleCheck    Role = "check"    // token-gate checks it
	RoleOther    Role = "other"
)

// SecretRef is one place a workflow reads a secret by name.
type SecretRef struct {
	// Secret is the name the repository knows it by: through a reusable
	// workflow call's secrets: mapping, the caller's name.
	Secret string `json:"secret"`
	// Place is where it is read; through a call, the caller's secrets:
	// mapping line, or its secrets: inherit line.
	Place
	// Environment is the reading job's environment as written; "" for
	// none. Through a call, the environment of the called job.
	Environment string `json:"environment,omitempty"`
	// Via is file:line of the reference in the called workflow, when the
	// secret is read through a call.
	Via  string `json:"via,omitempty"`
	Role Role   `json:"role"`
}

// Report is what an audit says: the workflows read, the credentials found
// and the findings.
type Report struct {
	// Repository is OWNER/REPO when the audit knew it, and RepositoryFrom
	// where it was read (GITHUB_REPOSITORY, the git remote origin).
	Repository, RepositoryFrom string
	// Workflows are the files read, from the repository's root.
	Workflows   []string
	Credentials []Credential
	Findings    []Finding
	// Secrets are every place a workflow reads a secret.
	Secrets []SecretRef
	// Publishes are every step that publishes, once each.
	Publishes []Publish
	// Suppressed are the findings that an ignore comment in the workflow
	// names (package suppress moves them here from Findings): counted, and
	// shown when asked, they fail nothing.
	Suppressed []SuppressedFinding
}

// SuppressedFinding is a finding that a `# token-gate: ignore[code]`
// comment suppresses, and the line of that comment: the finding's own line,
// or the line above it.
type SuppressedFinding struct {
	Finding
	CommentLine int `json:"comment-line"`
}

// HasErrors reports whether any finding is an error: the audit's exit 1.
func (r Report) HasErrors() bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity == Error })
}

// Redacted returns the report with f applied to every text it quotes from
// the workflows or says about them, file names included: f redacts tokens,
// or strips what a terminal must not be sent.
func (r Report) Redacted(f func(string) string) Report {
	out := r
	out.Repository, out.RepositoryFrom = f(r.Repository), f(r.RepositoryFrom)
	out.Workflows = MapAll(r.Workflows, f)
	out.Findings = make([]Finding, len(r.Findings))
	for i, fd := range r.Findings {
		out.Findings[i] = fd.Redacted(f)
	}
	if r.Suppressed != nil {
		out.Suppressed = make([]SuppressedFinding, len(r.Suppressed))
		for i, sf := range r.Suppressed {
			sf.Finding = sf.Finding.Redacted(f)
			out.Suppressed[i] = sf
		}
	}
	out.Credentials = make([]Credential, len(r.Credentials))
	for i, c := range r.Credentials {
		out.Credentials[i] = c.Redacted(f)
	}
	if r.Publishes != nil {
		out.Publishes = make([]Publish, len(r.Publishes))
		for i, p := range r.Publishes {
			p.File, p.Job, p.Step, p.Target, p.Secret = f(p.File), f(p.Job), f(p.Step), f(p.Target), f(p.Secret)
			if p.Caller != nil {
				c := *p.Caller
				c.File, c.Job = f(c.File), f(c.Job)
				p.Caller = &c
			}
			out.Publishes[i] = p
		}
	}
	if r.Secrets != nil {
		out.Secrets = make([]SecretRef, len(r.Secrets))
		for i, s := range r.Secrets {
			s.Secret, s.File, s.Job, s.Step, s.Environment, s.Via = f(s.Secret), f(s.File), f(s.Job), f(s.Step), f(s.Environment), f(s.Via)
			out.Secrets[i] = s
		}
	}
	return out
}

// Redacted returns the finding with f applied to its texts.
func (fd Finding) Redacted(f func(string) string) Finding {
	fd.Message, fd.Fix, fd.Snippet, fd.Step, fd.Job, fd.Secret, fd.File = f(fd.Message), f(fd.Fix), f(fd.Snippet), f(fd.Step), f(fd.Job), f(fd.Secret), f(fd.File)
	fd.Jobs = MapAll(fd.Jobs, f)
	return fd
}

// Redacted returns the credential with f applied to its texts.
func (c Credential) Redacted(f func(string) string) Credential {
	c.Secret, c.Username, c.Registry, c.CannotCheck = f(c.Secret), f(c.Username), f(c.Registry), f(c.CannotCheck)
	c.Images = MapAll(c.Images, f)
	uses := make([]Place, len(c.Uses))
	for i, u := range c.Uses {
		u.Step, u.Job, u.File = f(u.Step), f(u.Job), f(u.File)
		uses[i] = u
	}
	c.Uses = uses
	checks := make([]CheckPlace, len(c.CheckedBy))
	for i, p := range c.CheckedBy {
		p.File, p.Job = f(p.File), f(p.Job)
		checks[i] = p
	}
	c.CheckedBy = checks
	return c
}

// MapAll is f applied to each string, nil kept nil: how reports redact and
// escape lists.
func MapAll(in []string, f func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}
