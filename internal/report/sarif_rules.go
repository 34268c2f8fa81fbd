package report

import "github.com/token-gate/token-gate/internal/finding"

// auditRule is what SARIF says of one audit code. Its level and words are
// docs/codes.md's (sarif_rules_gen.go, written by
// `go test ./internal/report -run TestSARIFRulesFollowCodesDoc -update`,
// which fails while the two differ); Short is the first sentence.
type auditRule struct {
	Code  finding.Code
	Level finding.Severity
	Short string
	Full  string
}

// ruleNames are the rules' names for people, in Pascal case: code scanning
// filters by them, and SARIF wants them to differ from the ids.
var ruleNames = map[finding.Code]string{
	"publish-before-check": "PublishBeforeCredentialCheck",
	"images-in-part":       "ImagesReleasedInPart",
	"unchecked-credential": "PushCredentialNotChecked",
	"image-not-probed":     "PushedImageNotProbed",
	"probed-not-pushed":    "ProbedImageNotPushed",
	"cannot-check":         "CredentialTokenGateCannotCheck",
	"cannot-gate":          "PushRunsWhateverFailedBefore",
	"replaceable":          "ShortLivedCredentialWouldDo",
	"unrecognised-step":    "UnrecognisedPushOrPublish",
	"unresolved":           "NotResolvableBeforeTheRun",
	"unreadable-workflow":  "UnreadableWorkflow",
	"internal-error":       "TokenGateInternalError",
}

// ruleName is a code's name for people; a code without one (a newer audit
// than this table) is named by its code.
func ruleName(c finding.Code) string {
	if n := ruleNames[c]; n != "" {
		return n
	}
	return "TokenGate " + string(c)
}
