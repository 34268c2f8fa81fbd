package inventory

// The parts of an estate a token may not be allowed to read, as Gap.Part
// names them.
const (
	PartRepositories       = "repositories"
	PartWorkflows          = "workflows"
	PartOrgSecrets         = "organization secrets"
	PartSelected           = "selected repositories"
	PartRepoSecrets        = "repository secrets"
	PartRepoOrgSecrets     = "organization secrets shared with the repository"
	PartEnvironments       = "environments"
	PartEnvironmentSecrets = "environment secrets"
)

// Permission is the least a token needs to read a part: a classic token's
// scope, and a fine-grained token's or GitHub App's permission
// (docs/inventory.md, "Permissions"; docs/facts.md, "Inventory reads").
func Permission(part string) string {
	switch part {
	case PartRepositories:
		return "classic: repo (public repositories need none); fine-grained or GitHub App: Metadata read, with access to the repositories"
	case PartWorkflows:
		return "classic: repo (public repositories need none); fine-grained or GitHub App: Contents read"
	case PartOrgSecrets, PartSelected:
		return "classic: admin:org (and repo for private repositories); fine-grained or GitHub App: organization permission Secrets read"
	case PartRepoSecrets, PartRepoOrgSecrets:
		return "classic: repo; fine-grained or GitHub App: repository permission Secrets read"
	case PartEnvironments:
		return "classic: repo (public repositories need none); fine-grained or GitHub App: read access to the repository (Metadata read)"
	case PartEnvironmentSecrets:
		return "classic: repo; fine-grained or GitHub App: repository permission Environments read"
	}
	return ""
}
