package token

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	statelessGHS := "ghs_12345_" + strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 24) + "sig" // ~520 chars with dots
	tests := []struct {
		tok  string
		want Kind
	}{
		{"", None},
		{"ghp_" + strings.Repeat("x", 36), ClassicPAT},
		{"github_pat_11AAAA_" + strings.Repeat("x", 60), FineGrainedPAT},
		{"gho_" + strings.Repeat("x", 36), OAuth},
		{"ghu_" + strings.Repeat("x", 36), UserToServer},
		{"ghs_" + strings.Repeat("x", 36), Installation},
		{statelessGHS, Installation},
		{"ghr_" + strings.Repeat("x", 76), Refresh},
		{"ghp_", ClassicPAT}, // prefix alone decides, never length
		{"0123456789abcdef0123456789abcdef01234567", Unknown},
		{`"ghp_xxxx"`, Unknown},
		{"GHP_xxxx", Unknown},
		{"github_xxxx", Unknown},
	}
	for _, tc := range tests {
		if got := KindOf(tc.tok); got != tc.want {
			t.Errorf("KindOf(%.20q) = %s, want %s", tc.tok, got, tc.want)
		}
	}
	if len(statelessGHS) < 500 {
		t.Fatalf("test token too short: %d", len(statelessGHS))
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	tok := "ghp_" + strings.Repeat("x", 36)
	tests := []struct {
		raw     string
		want    string
		wantErr string
	}{
		{tok, tok, ""},
		{" \n" + tok + "\r\n\t", tok, ""},
		{"", "", ""},
		{"  ", "", ""},
		{"ghp_xx xx", "", "whitespace at position 7"},
		{"ghp_xx\txx", "", "whitespace at position 7"},
		{"ghp_xxé", "", "non-ASCII"},
		{"ghp_xx\x00", "", "control character"},
	}
	for _, tc := range tests {
		got, err := Clean(tc.raw)
		if got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.raw, got, tc.want)
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Clean(%q): unexpected error %v", tc.raw, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Clean(%q) error = %v, want %q", tc.raw, err, tc.wantErr)
		case err != nil && strings.Contains(err.Error(), "ghp_"):
			t.Errorf("Clean's error quotes the token: %v", err)
		}
	}
}

func TestParseExpiration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-06-03 19:52:44 UTC", time.Date(2026, 6, 3, 19, 52, 44, 0, time.UTC), true},
		{"2023-04-26 23:23:18 +0200", time.Date(2023, 4, 26, 21, 23, 18, 0, time.UTC), true},
		{"2023-04-26 01:00:00 -0500", time.Date(2023, 4, 26, 6, 0, 0, 0, time.UTC), true},
		{" 2026-06-03 19:52:44 UTC ", time.Date(2026, 6, 3, 19, 52, 44, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"tomorrow", time.Time{}, false},
		{"2026-06-03T19:52:44Z", time.Time{}, false},
		{"2026-06-03 19:52:44", time.Time{}, false},
		{"2026-06-03 19:52:44 XYZ", time.Time{}, false}, // unknown zone would be taken as +0000
		{"2026-13-03 19:52:44 UTC", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := ParseExpiration(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseExpiration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err == nil && got.Location() != time.UTC {
			t.Errorf("ParseExpiration(%q) not in UTC", tc.in)
		}
	}
}

func TestDaysAndThresholds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		exp      time.Time
		days     int
		within7  bool
		within14 bool
		within0  bool
	}{
		{now.Add(60 * day), 60, false, false, false},
		{now.Add(14 * day), 14, false, false, false},            // exactly 14 days is not "less than 14"
		{now.Add(14*day - time.Second), 13, false, true, false}, // rounds down
		{now.Add(7 * day), 7, false, true, false},
		{now.Add(6*day + 23*time.Hour), 6, true, true, false},
		{now.Add(time.Hour), 0, true, true, false},
		{now.Add(-time.Hour), -1, true, true, false}, // already passed
		{now.Add(-2 * day), -2, true, true, false},
	}
	for _, tc := range tests {
		if got := DaysLeft(tc.exp, now); got != tc.days {
			t.Errorf("DaysLeft(%v) = %d, want %d", tc.exp, got, tc.days)
		}
		if got := Within(tc.exp, now, 7); got != tc.within7 {
			t.Errorf("Within(%v, 7) = %v, want %v", tc.exp, got, tc.within7)
		}
		if got := Within(tc.exp, now, 14); got != tc.within14 {
			t.Errorf("Within(%v, 14) = %v, want %v", tc.exp, got, tc.within14)
		}
		if got := Within(tc.exp, now, 0); got != tc.within0 {
			t.Errorf("Within(%v, 0) = %v: 0 must disable the threshold", tc.exp, got)
		}
	}
}

// TestImplications covers every row of the implication table in
// docs/facts.md, "Scopes".
func TestImplications(t *testing.T) {
	t.Parallel()
	table := map[string][]string{
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
	for parent, children := range table {
		if m := Missing(append([]string{parent}, children...), []string{parent}); len(m) != 0 {
			t.Errorf("%s should satisfy %v; missing %v", parent, children, m)
		}
		for _, c := range children {
			if m := Missing([]string{parent}, []string{c}); len(m) != 1 {
				t.Errorf("%s must not satisfy its parent %s", c, parent)
			}
		}
	}
	leaves := []string{"admin:org_hook", "gist", "notifications", "delete_repo", "read:packages", "delete:packages", "workflow", "read:audit_log", "site_admin", "copilot"}
	for _, leaf := range leaves {
		got := Expand([]string{leaf})
		if len(got) != 1 || !got[leaf] {
			t.Errorf("%s should imply nothing further, expands to %v", leaf, got)
		}
		if !IsKnownScope(leaf) {
			t.Errorf("%s should be a known scope", leaf)
		}
	}
	// write:packages does not give delete:packages, and repo does not give
	// write:packages: the two scopes AIBrix needs are independent.
	if diff := cmp.Diff([]string{"write:packages", "delete:packages"}, Missing([]string{"write:packages", "delete:packages"}, []string{"repo", "read:packages"})); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
}

func TestParseScopesHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"repo, write:packages", []string{"repo", "write:packages"}},
		{"", []string{}},
		{" , ,", []string{}},
		{"write:packages,repo", []string{"write:packages", "repo"}},
		{"repo, repo", []string{"repo"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, ParseScopesHeader(tc.in)); diff != "" {
			t.Errorf("ParseScopesHeader(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseRequiredScopes(t *testing.T) {
	t.Parallel()
	got, err := ParseRequiredScopes("repo, write:packages\nread:org  gist,,")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"repo", "write:packages", "read:org", "gist"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got, err := ParseRequiredScopes(""); err != nil || len(got) != 0 {
		t.Errorf("empty input: %v, %v; want no scopes", got, err)
	}
	for in, suggestion := range map[string]string{
		"write:package":  "write:packages",
		"write_packages": "write:packages",
		"Repo":           "repo",
		"read:pakages":   "read:packages",
		"admin:orgs":     "admin:org",
		"zzzzzzzzzzzzzz": "",
	} {
		_, err := ParseRequiredScopes("repo " + in)
		ue, ok := err.(*UnknownScopeError)
		if !ok {
			t.Errorf("%q: error %v, want *UnknownScopeError", in, err)
			continue
		}
		if ue.Scope != in || ue.Suggestion != suggestion {
			t.Errorf("%q: got scope %q suggestion %q, want suggestion %q", in, ue.Scope, ue.Suggestion, suggestion)
		}
	}
}

func TestUnrequestedHighRisk(t *testing.T) {
	t.Parallel()
	got := Unrequested([]string{"repo", "write:packages", "admin:org"}, []string{"repo", "write:packages", "admin:org", "delete_repo", "workflow", "gist"})
	if diff := cmp.Diff([]string{"delete_repo", "workflow"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseExpiration(f *testing.F) {
	for _, s := range []string{"2026-06-03 19:52:44 UTC", "2023-04-26 23:23:18 +0200", "", "garbage", "9999-12-31 23:59:59 -2359"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseExpiration(s)
		if err != nil {
			if !got.IsZero() {
				t.Errorf("error with a non-zero time")
			}
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("%q parsed to a non-UTC time", s)
		}
		// A value that parsed must say the same instant when written back in
		// the header's own UTC form (four-digit years only: an offset can push
		// 9999-12-31 into year 10000, which the format cannot write).
		if got.Year() > 9999 || got.Year() < 0 {
			return
		}
		again, err := ParseExpiration(got.Format("2006-01-02 15:04:05 MST"))
		if err != nil || !again.Equal(got) {
			t.Errorf("%q: round trip gave %v, %v", s, again, err)
		}
	})
}

func FuzzParseScopesHeader(f *testing.F) {
	for _, s := range []string{"repo, write:packages", "", ",,", " repo ,repo", "a,b, c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseScopesHeader(s)
		seen := map[string]bool{}
		for _, sc := range got {
			if sc == "" || sc != strings.TrimSpace(sc) || strings.Contains(sc, ",") || seen[sc] {
				t.Errorf("ParseScopesHeader(%q) gave a bad or repeated scope %q", s, sc)
			}
			seen[sc] = true
		}
	})
}

func FuzzParseRequiredScopes(f *testing.F) {
	for _, s := range []string{"repo, write:packages", "write:package", "", "\n\n", "read:org\tgist"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseRequiredScopes(s)
		if err != nil {
			if _, ok := err.(*UnknownScopeError); !ok {
				t.Errorf("error of type %T", err)
			}
			return
		}
		for _, sc := range got {
			if !IsKnownScope(sc) {
				t.Errorf("accepted unknown scope %q", sc)
			}
		}
	})
}
