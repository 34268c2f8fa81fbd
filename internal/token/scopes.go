package token

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// implies is the normalisation GitHub applies to classic scopes: a token
// granted `user, user:email` reports only `user`, so a check must expand
// before it compares (docs/facts.md "Scopes"; GitHub docs "Scopes for OAuth apps").
// Made on first use, as known is: a package's maps are otherwise built
// before main, in every run, the audit's too.
var implies = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		"repo":                  {"repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"},
		"admin:repo_hook":       {"write:repo_hook", "read:repo_hook"},
		"admin:org":             {"write:org", "read:org"},
		"admin:public_key":      {"write:public_key", "read:public_key"},
		"admin:gpg_key":         {"write:gpg_key", "read:gpg_key"},
		"admin:ssh_signing_key": {"write:ssh_signing_key", "read:ssh_signing_key"},
		"user":                  {"read:user", "user:email", "user:follow"},
		"project":               {"read:project"},
		"write:packages":        {"read:packages"},
		"write:discussion":      {"read:discussion"},
		"admin:enterprise":      {"manage_runners:enterprise", "manage_billing:enterprise", "read:enterprise"},
		"codespace":             {"codespace:secrets"},
		"audit_log":             {"read:audit_log"},
	}
})

// leaves are the scopes that imply nothing further (docs/facts.md "Scopes").
var leaves = []string{
	"admin:org_hook", "gist", "notifications", "delete_repo", "read:packages",
	"delete:packages", "workflow", "read:audit_log", "site_admin", "copilot",
}

// highRisk are scopes worth a warning when granted but not required, so that
// least privilege is visible in every run.
var highRisk = []string{
	"delete_repo", "admin:org", "admin:enterprise", "site_admin",
	"admin:repo_hook", "admin:org_hook", "delete:packages", "workflow",
}

var known = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for parent, children := range implies() {
		m[parent] = true
		for _, c := range children {
			m[c] = true
		}
	}
	for _, l := range leaves {
		m[l] = true
	}
	return m
})

// KnownScopes lists every scope name token-gate recognises, sorted.
func KnownScopes() []string {
	out := make([]string, 0, len(known()))
	for s := range known() {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// IsKnownScope reports whether s is a classic scope name.
func IsKnownScope(s string) bool { return known()[s] }

// ParseScopesHeader splits X-OAuth-Scopes ("repo, write:packages"), keeping
// GitHub's order and dropping empties and repeats.
func ParseScopesHeader(v string) []string {
	out := []string{}
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// SplitList splits an input list on commas, spaces and newlines, the
// separators the `required-scopes` and `packages` inputs accept, keeping order
// and dropping repeats.
func SplitList(v string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// ParseRequiredScopes reads the `required-scopes` input. An unknown name is a
// typo in the workflow, and the error suggests the closest known one.
func ParseRequiredScopes(v string) ([]string, error) {
	scopes := SplitList(v)
	for _, s := range scopes {
		if !known()[s] {
			return nil, &UnknownScopeError{Scope: s, Suggestion: closest(s)}
		}
	}
	return scopes, nil
}

// UnknownScopeError is a required scope that GitHub does not have.
type UnknownScopeError struct {
	Scope      string
	Suggestion string
}

func (e *UnknownScopeError) Error() string {
	msg := fmt.Sprintf("%q is not a GitHub classic scope", e.Scope)
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	return msg
}

// Expand returns granted plus everything it implies, transitively.
func Expand(granted []string) map[string]bool {
	have := map[string]bool{}
	var add func(string)
	add = func(s string) {
		if have[s] {
			return
		}
		have[s] = true
		for _, c := range implies()[s] {
			add(c)
		}
		// The general rule GitHub's own CLI applies (cli/cli api/client.go,
		// PR #2965): admin:X implies write:X and read:X, and write:X implies
		// read:X, for every X, whether or not the table names it.
		// Only names GitHub has are added: admin:org_hook implies nothing.
		for _, implied := range generalImplications(s) {
			if known()[implied] {
				add(implied)
			}
		}
	}
	for _, s := range granted {
		add(s)
	}
	return have
}

func generalImplications(s string) []string {
	if x, ok := strings.CutPrefix(s, "admin:"); ok {
		return []string{"write:" + x, "read:" + x}
	}
	if x, ok := strings.CutPrefix(s, "write:"); ok {
		return []string{"read:" + x}
	}
	return nil
}

// Missing returns the required scopes that granted does not cover, in the
// order they were required.
func Missing(required, granted []string) []string {
	have := Expand(granted)
	out := []string{}
	for _, r := range required {
		if !have[r] {
			out = append(out, r)
		}
	}
	return out
}

// Unrequested returns the high-risk scopes in granted that no required scope
// asked for.
func Unrequested(required, granted []string) []string {
	out := []string{}
	for _, g := range granted {
		if slices.Contains(highRisk, g) && !slices.Contains(required, g) {
			out = append(out, g)
		}
	}
	return out
}

// ReplacementScopes are the scopes to put on a replacement classic token: the
// required ones, then those the token has now so that rotating loses
// nothing, except high-risk scopes nobody required (a fix link must not ask
// for delete_repo right under the warning to remove it). With neither, the
// push scope.
func ReplacementScopes(required, granted []string) []string {
	out := slices.Clone(required)
	for _, s := range granted {
		if !slices.Contains(out, s) && !slices.Contains(highRisk, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []string{"write:packages"}
	}
	return out
}

// NeedsPackages reports whether any required scope is a packages scope, which
// only classic PATs and GITHUB_TOKEN can satisfy on ghcr.io (docs/facts.md "GitHub Packages").
func NeedsPackages(required []string) bool {
	for _, s := range required {
		if strings.HasSuffix(s, ":packages") {
			return true
		}
	}
	return false
}

// closest suggests the known scope nearest to s by edit distance, or nothing
// when no name is near enough to be a plausible typo.
func closest(s string) string {
	best, bestDist := "", len(s)/2+2
	for _, k := range KnownScopes() {
		if d := distance(strings.ToLower(s), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
