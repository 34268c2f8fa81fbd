package gate

// Code names a finding for code: reminders, tests and the JSON report branch
// on it, never on a title. Each has its anchor in docs/codes.md.
type Code string

// The codes, one per rule.
const (
	CodeMalformed              Code = "malformed"
	CodeEmpty                  Code = "empty"
	CodeWrongKind              Code = "wrong-kind"
	CodeKindNotForPackages     Code = "kind-not-for-packages"
	CodeKindAcceptedByRegistry Code = "kind-accepted-by-registry"
	CodeBadCredentials         Code = "bad-credentials"
	CodeSSO                    Code = "sso"
	CodeOrgPolicy              Code = "org-policy"
	CodeLifetimePolicy         Code = "lifetime-policy"
	CodeRateLimit              Code = "rate-limit"
	CodeGitHubLockout          Code = "github-lockout"
	CodeGitHubUnreachable      Code = "github-unreachable"
	CodeWrongAPIURL            Code = "wrong-api-url"
	CodeGitHubRefused          Code = "github-refused"
	CodeUnexpectedAnswer       Code = "unexpected-answer"
	CodeNotSent                Code = "not-sent"
	CodeScopesNotApply         Code = "scopes-not-apply"
	CodeScopesUnverifiable     Code = "scopes-unverifiable"
	CodeScopesStripped         Code = "scopes-header-missing"
	CodeMissingScopes          Code = "missing-scopes"
	CodeHighRiskScopes         Code = "high-risk-scopes"
	CodeExpiryUnreadable       Code = "expiry-unreadable"
	CodeNeverExpires           Code = "never-expires"
	CodeExpiresSoon            Code = "expires-soon"
	CodeCannotPush             Code = "cannot-push"
	CodePushNotProven          Code = "push-not-proven"
	CodeRegistryDown           Code = "registry-unreachable"
	CodeRegistryRateLimit      Code = "registry-rate-limit"
	CodeRegistryLockout        Code = "registry-lockout"
	CodeBadRegistryLogin       Code = "bad-registry-credentials"
	CodeExpiryNotVisible       Code = "expiry-not-visible"
	CodeScopesIgnored          Code = "required-scopes-ignored"
	CodeRemindersFailed        Code = "reminders-not-updated"
)

// Codes lists every code the gate emits, for docs/codes.md's test.
func Codes() []Code {
	return []Code{
		CodeMalformed, CodeEmpty, CodeWrongKind, CodeKindNotForPackages, CodeKindAcceptedByRegistry,
		CodeBadCredentials, CodeSSO, CodeOrgPolicy, CodeLifetimePolicy, CodeRateLimit, CodeGitHubLockout, CodeGitHubUnreachable,
		CodeWrongAPIURL, CodeGitHubRefused, CodeUnexpectedAnswer, CodeNotSent, CodeScopesNotApply,
		CodeScopesUnverifiable, CodeScopesStripped, CodeMissingScopes, CodeHighRiskScopes, CodeExpiryUnreadable,
		CodeNeverExpires, CodeExpiresSoon, CodeCannotPush, CodePushNotProven, CodeRegistryDown,
		CodeRegistryRateLimit, CodeRegistryLockout, CodeBadRegistryLogin, CodeExpiryNotVisible, CodeScopesIgnored,
		CodeRemindersFailed,
	}
}

// inconclusive codes say the check could not be made, not that the token is
// bad: nothing reached a service that could judge it (not sent, an empty
// secret, a wrong api-url), something between changed or hid the answer (a
// proxy, a stripped header, an answer that is not the service's), or the
// service declined to judge (a rate limit, a registry's or GitHub's login
// lockout that another credential caused, a registry that never asked for
// credentials). The gate may still fail on them; reminders leave them alone.
func (c Code) inconclusive() bool {
	switch c {
	case CodeRateLimit, CodeGitHubLockout, CodeGitHubUnreachable, CodeUnexpectedAnswer, CodeRegistryDown, CodeRegistryRateLimit,
		CodeEmpty, CodeNotSent, CodeScopesStripped, CodePushNotProven, CodeWrongAPIURL, CodeRegistryLockout:
		return true
	}
	return false
}
