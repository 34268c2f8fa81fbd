package gate

// Code names a finding for code: reminders, tests and the JSON report branch
// on it, never on a title.
type Code string

// The codes, one per rule.
const (
	CodeMalformed          Code = "malformed"
	CodeEmpty              Code = "empty"
	CodeWrongKind          Code = "wrong-kind"
	CodeKindNotForPackages Code = "kind-not-for-packages"
	CodeBadCredentials     Code = "bad-credentials"
	CodeSSO                Code = "sso"
	CodeOrgPolicy          Code = "org-policy"
	CodeLifetimePolicy     Code = "lifetime-policy"
	CodeRateLimit          Code = "rate-limit"
	CodeGitHubUnreachable  Code = "github-unreachable"
	CodeWrongAPIURL        Code = "wrong-api-url"
	CodeGitHubRefused      Code = "github-refused"
	CodeUnexpectedAnswer   Code = "unexpected-answer"
	CodeNotSent            Code = "not-sent"
	CodeScopesNotApply     Code = "scopes-not-apply"
	CodeScopesUnverifiable Code = "scopes-unverifiable"
	CodeScopesStripped     Code = "scopes-header-missing"
	CodeMissingScopes      Code = "missing-scopes"
	CodeHighRiskScopes     Code = "high-risk-scopes"
	CodeExpiryUnreadable   Code = "expiry-unreadable"
	CodeNeverExpires       Code = "never-expires"
	CodeExpired            Code = "expired"
	CodeExpiresSoon        Code = "expires-soon"
	CodeCannotPush         Code = "cannot-push"
	CodePushNotProven      Code = "push-not-proven"
	CodeRegistryDown       Code = "registry-unreachable"
	CodeRegistryRateLimit  Code = "registry-rate-limit"
	CodeBadRegistryLogin   Code = "bad-registry-credentials"
	CodeExpiryNotVisible   Code = "expiry-not-visible"
	CodeScopesIgnored      Code = "required-scopes-ignored"
	CodeRemindersFailed    Code = "reminders-not-updated"
)

// inconclusive codes say the check could not be made, not that the token is
// bad.
func (c Code) inconclusive() bool {
	switch c {
	case CodeRateLimit, CodeGitHubUnreachable, CodeUnexpectedAnswer, CodeRegistryDown, CodeRegistryRateLimit, CodeEmpty:
		return true
	}
	return false
}
