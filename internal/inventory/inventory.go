// Package inventory joins what GitHub says about an owner's Actions secrets
// (their names, levels, reach and age; never their values) with where the
// workflows read them, as the audit found it, into one inventory: every
// secret, where it is used, what it pushes or publishes, what checks it and
// how old it is; the secrets defined and read by nothing, read and defined
// nowhere, or defined twice where the same job sees them; and what could not
// be read, with the permission that would show it. It is plain data and
// does no I/O: package github reads, package report renders.
package inventory

import (
	"strings"
	"time"

	"github.com/token-gate/token-gate/internal/finding"
)

// Level is where a secret is defined.
type Level string

// The levels, from the one that loses to the one that wins when a job sees
// the same name at several (docs/facts.md, "Secret precedence").
const (
	LevelOrganization Level = "organization"
	LevelRepository   Level = "repository"
	LevelEnvironment  Level = "environment"
)

// rank orders the levels by precedence.
func (l Level) rank() int {
	switch l {
	case LevelEnvironment:
		return 3
	case LevelRepository:
		return 2
	case LevelOrganization:
		return 1
	}
	return 0
}

// The inventory's own codes; each repository's audit findings keep theirs.
const (
	CodeUnused   finding.Code = "secret-unused"
	CodeMissing  finding.Code = "secret-missing"
	CodeShadowed finding.Code = "secret-shadowed"
	CodeOld      finding.Code = "secret-old"
)

// Codes lists every code the inventory adds, for docs/codes.md's test.
func Codes() []finding.Code { return []finding.Code{CodeUnused, CodeMissing, CodeShadowed, CodeOld} }

// DefaultMaxAgeDays is max-age-days' default: the age past which a push
// credential whose expiry cannot be read is reported.
const DefaultMaxAgeDays = 90

// Secret is one secret as GitHub lists it: its name and when it was set,
// never its value.
type Secret struct {
	Name  string
	Level Level
	// Repository is OWNER/REPO for repository and environment secrets.
	Repository  string
	Environment string
	// Visibility is an organization secret's: all, private or selected.
	Visibility string
	// Selected are the repositories (OWNER/REPO) a selected organization
	// secret reaches; SelectedRead says whether they could be read.
	Selected     []string
	SelectedRead bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Environment is one deployment environment of a repository.
type Environment struct {
	Name string
	// SecretsRead says whether its secrets could be read.
	SecretsRead bool
}

// Repository is one repository: what its workflows read, as the audit
// found it, and which of its secrets could be read.
type Repository struct {
	Name       string // OWNER/REPO
	Visibility string // public, private or internal
	// Archived repositories run no workflow.
	Archived bool
	// WorkflowsRead says whether its .github/workflows could be read;
	// Audit is then the audit of them (no workflows at all is read too).
	WorkflowsRead bool
	Audit         finding.Report
	// ReadsAnySecret is set when a workflow may read a secret by a name
	// the audit cannot see: a computed one (secrets[...]), all of them
	// (toJSON(secrets)), or through secrets: inherit into a workflow of
	// another repository. No secret that reaches it is then called unused.
	ReadsAnySecret bool
	// RepoSecretsRead says whether its repository secrets could be read.
	RepoSecretsRead bool
	// OrgSecretsRead says whether the organization secrets it can see
	// could be read; OrgSecrets are their names.
	OrgSecretsRead bool
	OrgSecrets     []string
	// EnvironmentsRead says whether its environments could be listed.
	EnvironmentsRead bool
	Environments     []Environment
}

// Gap is a part that could not be read, why, and what would show it.
type Gap struct {
	Part        string `json:"part"`
	Repository  string `json:"repository,omitempty"`
	Environment string `json:"environment,omitempty"`
	Secret      string `json:"secret,omitempty"`
	// Reason says what GitHub answered, in words: a permission refused,
	// a rate limit and until when, an outage.
	Reason string `json:"reason"`
	// Permission is what the token needs to see it; empty when nothing
	// the token lacks would (a rate limit, an outage).
	Permission string `json:"permission"`
}

// Estate is everything read about one owner.
type Estate struct {
	Owner        string
	Organization bool
	// Only is OWNER/REPO when one repository was asked for: organization
	// secrets are then judged only as that repository sees them.
	Only string
	// Complete is set when every repository of the owner was listed (no
	// --max-repos cut, no listing refused), so an organization secret that
	// no listed repository reads is read by none.
	Complete bool
	// Skipped are the repositories listed and left out (forks unless
	// asked for), OWNER/REPO with their visibility: an organization secret
	// that reaches one of them cannot be called unused.
	Skipped        []Repository
	Secrets        []Secret
	OrgSecretsRead bool
	Repositories   []Repository
	NotVisible     []Gap
	// Notes say how the reading went where it matters to the reader: the
	// REST API read instead of GraphQL, waits for a rate limit.
	Notes []string
}

// Options are the inventory's settings and the run's clock.
type Options struct {
	Now        time.Time
	MaxAgeDays int
}

// Use is one place a secret is read, in a repository.
type Use struct {
	Repository string `json:"repository"`
	finding.SecretRef
}

// Check is a token-gate step that checks a secret, in a repository.
type Check struct {
	Repository string `json:"repository"`
	finding.CheckPlace
}

// Row is one secret of the inventory.
type Row struct {
	Secret
	// AgeDays is whole days since the secret was last set.
	AgeDays int
	UsedBy  []Use
	// Images are what the credential pushes, Roles what its uses do, and
	// CheckedBy the token-gate steps that check it, across its uses.
	Images    []string
	Roles     []finding.Role
	CheckedBy []Check
	// GitHubToken says why GITHUB_TOKEN cannot replace the secret, when
	// the audit shows it cannot: a push to another owner's packages.
	GitHubToken string
}

// Finding is one finding of the inventory, in a repository ("" for an
// organization-level finding, whose place is empty).
type Finding struct {
	finding.Finding
	Repository string
	// Wins is, for secret-shadowed, the level whose value the job reads.
	Wins Level
	// Via is, for a use through a reusable workflow, file:line of the
	// reference in the called workflow.
	Via string
}

// Inventory is the joined result.
type Inventory struct {
	Owner        string
	Organization bool
	Only         string
	Repositories []string // read, OWNER/REPO
	Workflows    int      // files read across them
	Secrets      []Row
	Findings     []Finding
	NotVisible   []Gap
	Notes        []string
}

// sameName compares secret names as GitHub does: without regard to case.
func sameName(a, b string) bool { return strings.EqualFold(a, b) }

// HasErrors reports whether any finding is an error.
func (inv Inventory) HasErrors() bool {
	for _, f := range inv.Findings {
		if f.Severity == finding.Error {
			return true
		}
	}
	return false
}
