package report

import "github.com/token-gate/token-gate/internal/finding"

// auditRule is what SARIF says of one audit code: its words are
// docs/codes.md's, whitespace joined (TestSARIFRulesFollowCodesDoc keeps
// them equal); Short is their first sentence.
type auditRule struct {
	Code finding.Code
	// Name is the rule's name for people, in Pascal case: code scanning
	// filters by it, and SARIF wants it to differ from the id.
	Name  string
	Level finding.Severity
	Short string
	Full  string
}

// auditRules are every code the audit emits, in docs/codes.md's order
// (TestSARIFRulesFollowCodesDoc checks them against audit.Codes too). A
// SARIF log lists them all, found or not, so that code scanning can tell a
// rule that ran and found nothing from one that does not exist, and close
// an alert that was fixed.
var auditRules = []auditRule{
	{
		Code:  "unchecked-credential",
		Name:  "PushCredentialNotChecked",
		Level: finding.Error,
		Short: "A secret logs a container client in (docker/login-action, or `docker`, `podman`, `buildah`, `skopeo` or `crane login` in a `run:`) in a job where no token-gate step checks it first, in that job or in a job it needs.",
		Full:  "A secret logs a container client in (docker/login-action, or `docker`, `podman`, `buildah`, `skopeo` or `crane login` in a `run:`) in a job where no token-gate step checks it first, in that job or in a job it needs. If it has expired or lost its rights, the job fails only there, after everything before it. Fix: `token-gate audit --fix` adds a `preflight` job that checks every push credential and the `needs:` on it.",
	},
	{
		Code:  "publish-before-check",
		Name:  "PublishBeforeCredentialCheck",
		Level: finding.Error,
		Short: "Something publishes (PyPI, npm, a GitHub release, Helm, crates.io, goreleaser, or another registry's images) before, or in parallel with, a push whose credential nothing has proven by then.",
		Full:  "Something publishes (PyPI, npm, a GitHub release, Helm, crates.io, goreleaser, or another registry's images) before, or in parallel with, a push whose credential nothing has proven by then. If that credential fails, the first publish has already happened: a half release, and PyPI never takes the same file twice. Fix: make every publishing job need the pre-flight (`--fix` writes it).",
	},
	{
		Code:  "image-not-probed",
		Name:  "PushedImageNotProbed",
		Level: finding.Warning,
		Short: "A checked credential pushes an image its check's `packages` does not list: a refusal there would show only at the push.",
		Full:  "A checked credential pushes an image its check's `packages` does not list: a refusal there would show only at the push. Add the image to `packages`.",
	},
	{
		Code:  "probed-not-pushed",
		Name:  "ProbedImageNotPushed",
		Level: finding.Warning,
		Short: "A check probes an image no workflow pushes with that credential: a right nobody uses, or a name that drifted.",
		Full:  "A check probes an image no workflow pushes with that credential: a right nobody uses, or a name that drifted. Remove it or correct it.",
	},
	{
		Code:  "unresolved",
		Name:  "NotResolvableBeforeTheRun",
		Level: finding.Notice,
		Short: "Something the audit cannot know before the run: a `fromJSON` matrix, an image named by a job output, a registry from an expression, a reusable workflow in another repository, a password that is no traceable secret.",
		Full:  "Something the audit cannot know before the run: a `fromJSON` matrix, an image named by a job output, a registry from an expression, a reusable workflow in another repository, a password that is no traceable secret. A notice, never dropped in silence: check that part by hand.",
	},
	{
		Code:  "unreadable-workflow",
		Name:  "UnreadableWorkflow",
		Level: finding.Error,
		Short: "A workflow file that is not valid YAML or not a workflow.",
		Full:  "A workflow file that is not valid YAML or not a workflow. GitHub will not run it either; the other files are still audited. Correct it (actionlint shows the same error).",
	},
}
