package config_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/token-gate/token-gate/internal/config"
	"github.com/token-gate/token-gate/internal/fake"
)

const classic = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

// TestInputsMatchActionYML keeps the one list of inputs and action.yml in
// step: a renamed, added or removed input, or a changed default, fails here.
func TestInputsMatchActionYML(t *testing.T) {
	t.Parallel()
	declared, err := fake.ActionInputs(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type in struct{ Name, Default string }
	var fromYML, fromCode []in
	for _, d := range declared {
		fromYML = append(fromYML, in{d.Name, d.Default})
	}
	for _, i := range config.Inputs() {
		fromCode = append(fromCode, in{i.Name, i.Default})
	}
	byName := func(a, b in) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(fromYML, byName)
	slices.SortFunc(fromCode, byName)
	if diff := cmp.Diff(fromYML, fromCode); diff != "" {
		t.Errorf("action.yml (-) and config.Inputs (+) disagree:\n%s", diff)
	}
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestParse(t *testing.T) {
	t.Parallel()
	manyImages := func(n int, tag bool) string {
		var refs []string
		for i := range n {
			ref := fmt.Sprintf("ghcr.io/o/n%d", i)
			if tag {
				refs = append(refs, ref+":v1", ref+"@sha256:abcd")
			}
			refs = append(refs, ref)
		}
		return strings.Join(refs, "\n")
	}
	tests := []struct {
		name  string
		raw   config.Raw
		env   map[string]string
		check func(t *testing.T, c config.Config)
		err   []string // substrings of the error; nil means none
		never []string // substrings the error must not hold
	}{
		{name: "empty api-url is the runner's own API", raw: config.Raw{config.InToken: classic, config.InAPIURL: ""},
			env: map[string]string{"GITHUB_API_URL": "https://ghe.example.com/api/v3"},
			check: func(t *testing.T, c config.Config) {
				if c.APIURL.String() != "https://ghe.example.com/api/v3" || c.GitHubRegistry != "containers.ghe.example.com" {
					t.Errorf("api %s registry %s", c.APIURL, c.GitHubRegistry)
				}
			}},
		{name: "empty api-url without a runner is github.com", raw: config.Raw{config.InToken: classic, config.InAPIURL: "  "},
			check: func(t *testing.T, c config.Config) {
				if c.APIURL.String() != config.DefaultAPIURL || c.GitHubRegistry != "ghcr.io" || c.ServerURL != "https://github.com" {
					t.Errorf("api %s registry %s server %s", c.APIURL, c.GitHubRegistry, c.ServerURL)
				}
			}},
		{name: "credentials in api-url are never quoted", raw: config.Raw{config.InToken: classic, config.InAPIURL: "https://user:SuperSecret99@ghe.example.com/api/v3"},
			err: []string{"input `api-url`", "holds credentials", "https://user:xxxxx@ghe.example.com/api/v3"}, never: []string{"SuperSecret99"}},
		{name: "credentials in an api-url that does not parse are never quoted", raw: config.Raw{config.InToken: classic, config.InAPIURL: "https://user:SuperSecret99@ghe example.com/%zz"},
			err: []string{"input `api-url`"}, never: []string{"SuperSecret99"}},
		{name: "a port above 65535 in api-url", raw: config.Raw{config.InToken: classic, config.InAPIURL: "https://ghe.example.com:70000/api/v3"},
			err: []string{"input `api-url`", "port 70000"}},
		{name: "a port above 65535 in packages", raw: config.Raw{config.InToken: classic, config.InPackages: "127.0.0.1:99999/o/n"},
			err: []string{"input `packages`", "port 99999"}},
		{name: "a typo in the registry never receives the GitHub token", raw: config.Raw{config.InToken: classic, config.InPackages: "ghrc.io/aibrix/runtime"},
			err: []string{"input `packages`", `"ghrc.io/aibrix/runtime"`, "ghrc.io is not ghcr.io", "sent to no other registry", "ghcr.io/aibrix/runtime"}},
		{name: "on GHES, OWNER/NAME is on containers.HOST", raw: config.Raw{config.InToken: classic, config.InAPIURL: "https://ghe.example.com/api/v3", config.InPackages: "aibrix/runtime"},
			check: func(t *testing.T, c config.Config) {
				if got := c.Packages[0].String(); got != "containers.ghe.example.com/aibrix/runtime" {
					t.Errorf("image %s", got)
				}
			}},
		{name: "on GHE.com, OWNER/NAME is on containers.SUBDOMAIN.ghe.com, and links go to SUBDOMAIN.ghe.com", raw: config.Raw{config.InToken: classic, config.InAPIURL: "https://api.octocorp.ghe.com", config.InPackages: "aibrix/runtime"},
			check: func(t *testing.T, c config.Config) {
				if got := c.Packages[0].String(); got != "containers.octocorp.ghe.com/aibrix/runtime" || c.ServerURL != "https://octocorp.ghe.com" {
					t.Errorf("image %s, server %s", got, c.ServerURL)
				}
			}},
		{name: "Docker's own key for Docker Hub, and API suffixes", raw: config.Raw{config.InToken: "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx", config.InRegistry: "https://index.docker.io/v1/", config.InUsername: "aibrix"},
			check: func(t *testing.T, c config.Config) {
				for _, v := range []string{"https://index.docker.io/v1/", "index.docker.io/v1", "docker.io/v2/", "https://registry-1.docker.io/v2"} {
					got, err := config.Parse(config.Raw{config.InToken: "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx", config.InRegistry: v, config.InUsername: "aibrix"}, env(nil), false)
					if err != nil || got.Registry != "registry-1.docker.io" {
						t.Errorf("registry %q = %q, %v", v, got.Registry, err)
					}
				}
			}},
		{name: "a username past 256 characters", raw: config.Raw{config.InToken: "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx", config.InRegistry: "docker.io", config.InUsername: strings.Repeat("u", 300)},
			err: []string{"input `username`", "300 characters long"}},
		{name: "a token-name past 100 characters", raw: config.Raw{config.InToken: classic, config.InTokenName: "T" + strings.Repeat("o", 100)},
			err: []string{"input `token-name`", "101 characters long, more than 100"}},
		{name: "a Docker Hub token without registry, in a workflow", raw: config.Raw{config.InToken: "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"},
			err: []string{"input `token`", "Set `registry` to docker.io"}},
		{name: "on GHES, ghcr.io is another registry", raw: config.Raw{config.InToken: classic, config.InAPIURL: "https://ghe.example.com/api/v3", config.InPackages: "ghcr.io/aibrix/runtime"},
			err: []string{"ghcr.io is not containers.ghe.example.com"}},
		{name: "50 images after tags and digests are dropped", raw: config.Raw{config.InToken: classic, config.InPackages: manyImages(50, true)},
			check: func(t *testing.T, c config.Config) {
				if len(c.Packages) != 50 {
					t.Errorf("%d images", len(c.Packages))
				}
			}},
		{name: "51 distinct images", raw: config.Raw{config.InToken: classic, config.InPackages: manyImages(51, false)}, err: []string{"51 images listed; at most 50"}},
		{name: "a token pasted into packages is cut to its prefix", raw: config.Raw{config.InToken: "", config.InPackages: "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"},
			err: []string{"input `packages`", `"github_pat_…"`}, never: []string{"11ABCDEFG"}},
		{name: "token-name must be a secret name", raw: config.Raw{config.InToken: classic, config.InTokenName: "ghcr-token"},
			err: []string{"input `token-name`", `"ghcr-token"`, "not a secret name"}},
		{name: "token-name with a backtick", raw: config.Raw{config.InToken: classic, config.InTokenName: "A`B"}, err: []string{"input `token-name`"}},
		{name: "a token pasted into token-name is cut", raw: config.Raw{config.InToken: classic, config.InTokenName: "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
			err: []string{`"ghp_…"`}, never: []string{"abcdefghij"}},
		{name: "tokens names compare without case", raw: config.Raw{config.InTokens: "A_TOKEN=" + classic + "\na_token=" + classic},
			err: []string{"line 2", `"a_token" appears twice`}},
		{name: "tokens name equal to token-name without case", raw: config.Raw{config.InToken: classic, config.InTokenName: "MY_TOKEN", config.InTokens: "my_token=" + classic},
			err: []string{"same token as `token-name`"}},
		{name: "a bare base64 secret in tokens is refused unquoted", raw: config.Raw{config.InTokens: "c2VjcmV0LXZhbHVlLXRoYXQtaXMtYmFzZTY0LWVuY29kZWQ=="},
			err: []string{"line 1 is not NAME=VALUE", "not shown"}, never: []string{"c2VjcmV0"}},
		{name: "NAME= is an empty secret, judged by on-missing", raw: config.Raw{config.InTokens: "EMPTY_ONE="},
			check: func(t *testing.T, c config.Config) {
				if len(c.Entries) != 1 || c.Entries[0].Name != "EMPTY_ONE" || c.Entries[0].Value != "" || c.Entries[0].Bad != "" {
					t.Errorf("entries %+v", c.Entries)
				}
			}},
		{name: "a 3-character token is malformed, not sent", raw: config.Raw{config.InToken: "abc"},
			check: func(t *testing.T, c config.Config) {
				if c.Entries[0].Bad == "" || !strings.Contains(c.Entries[0].Bad, "too short") {
					t.Errorf("entry %+v", c.Entries[0])
				}
			}},
		{name: "a token over 4 KiB is malformed, not sent", raw: config.Raw{config.InToken: "ghs_" + strings.Repeat("a", 5000)},
			check: func(t *testing.T, c config.Config) {
				if !strings.Contains(c.Entries[0].Bad, "more than any token") {
					t.Errorf("entry %+v", c.Entries[0])
				}
			}},
		{name: "a stateless ghs_ token of 520 characters with dots is fine", raw: config.Raw{config.InToken: "ghs_12345_" + strings.Repeat("eyJhbGciOi.", 46)},
			check: func(t *testing.T, c config.Config) {
				if c.Entries[0].Bad != "" {
					t.Errorf("entry %+v", c.Entries[0])
				}
			}},
		{name: "reminder-labels empty is no labels", raw: config.Raw{config.InToken: classic, config.InReminderLabels: ""},
			check: func(t *testing.T, c config.Config) {
				if c.ReminderLabels != nil {
					t.Errorf("labels %q", c.ReminderLabels)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse(tc.raw, env(tc.env), false)
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != nil && err == nil:
				t.Fatalf("no error; want one saying %q", tc.err)
			case err != nil:
				for _, s := range tc.err {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				for _, s := range tc.never {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q holds %q", err, s)
					}
				}
				return
			}
			tc.check(t, c)
		})
	}
}

// TestTerminalWording: in a terminal, errors name the terminal's flags and
// GH_TOKEN, never an action input.
func TestTerminalWording(t *testing.T) {
	t.Parallel()
	_, err := config.Parse(config.Raw{config.InToken: "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx"}, env(nil), true)
	if err == nil || !strings.Contains(err.Error(), "GH_TOKEN (or --token-stdin): is a Docker Hub token") ||
		!strings.Contains(err.Error(), "Set --registry to docker.io and --username") || strings.Contains(err.Error(), "input `") {
		t.Errorf("terminal error: %v", err)
	}
	_, err = config.Parse(config.Raw{config.InTokens: "A=" + strings.Repeat("x", 3) + "\nA=y"}, env(nil), true)
	if err == nil || !strings.HasPrefix(err.Error(), "flag --tokens-file: ") {
		t.Errorf("tokens error in a terminal: %v", err)
	}
}

func TestTokenLines(t *testing.T) {
	t.Parallel()
	lines := config.TokenLines("# comment\n\nA=1234567890\r\nBARE_SECRET_LINE\nx-y=abc\nB64SECRET==\nEMPTY=\n")
	got := []string{}
	for _, l := range lines {
		got = append(got, fmt.Sprintf("%d %s eq=%v suspect=%v secrets=%q", l.Number, l.Name, l.HasEquals, l.Suspect, l.Secrets()))
	}
	want := []string{
		`3 A eq=true suspect=false secrets=["1234567890"]`,
		`4 BARE_SECRET_LINE eq=false suspect=false secrets=["BARE_SECRET_LINE" ""]`,
		`5 x-y eq=true suspect=true secrets=["x-y=abc" "abc"]`,
		`6 B64SECRET eq=true suspect=true secrets=["B64SECRET==" "="]`,
		`7 EMPTY eq=true suspect=false secrets=[""]`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseTokens(f *testing.F) {
	f.Add("A=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nB=")
	f.Add("c2VjcmV0==")
	f.Fuzz(func(t *testing.T, v string) {
		_, err := config.Parse(config.Raw{config.InTokens: v}, env(nil), false)
		if err == nil {
			return
		}
		// Whatever the lines hold, the error never quotes a value.
		for _, l := range config.TokenLines(v) {
			if len(l.Value) >= 8 && strings.Contains(err.Error(), l.Value) {
				t.Errorf("error quotes a value: %v", err)
			}
		}
	})
}

// TestAuditAndWhereTheStepRuns: the audit input, and the job a check runs
// in, read from the runner's environment (docs/facts.md, "Runner
// environment").
func TestAuditAndWhereTheStepRuns(t *testing.T) {
	tok := "ghp_" + strings.Repeat("x", 36)
	for in, want := range map[string]config.AuditMode{"": config.AuditWarn, "warn": config.AuditWarn, " FAIL ": config.AuditFail, "off": config.AuditOff} {
		raw := config.Raw{config.InToken: tok}
		if in != "" {
			raw[config.InAudit] = in
		}
		c, err := config.Parse(raw, env(nil), false)
		if err != nil || c.Audit != want {
			t.Errorf("audit %q: %v, %v; want %v", in, c.Audit, err, want)
		}
	}
	_, err := config.Parse(config.Raw{config.InToken: tok, config.InAudit: "loud"}, env(nil), false)
	if err == nil || !strings.Contains(err.Error(), "input `audit`") || !strings.Contains(err.Error(), `"loud"`) || !strings.Contains(err.Error(), "Use warn (the default), fail, or off") {
		t.Errorf("audit loud: %v", err)
	}
	for ref, want := range map[string]string{
		"aibrix/aibrix/.github/workflows/release-build.yaml@refs/tags/v1.2.3": ".github/workflows/release-build.yaml",
		"aibrix/aibrix/.github/workflows/ci.yml@refs/heads/main":              ".github/workflows/ci.yml",
		"other/repo/.github/workflows/ci.yml@refs/heads/main":                 "", // a caller in another repository
		"aibrix/aibrix/ci.yml@main":                                           "",
		"":                                                                    "",
	} {
		c, err := config.Parse(config.Raw{config.InToken: tok}, env(map[string]string{
			"GITHUB_REPOSITORY": "aibrix/aibrix", "GITHUB_WORKFLOW_REF": ref, "GITHUB_JOB": "preflight", "GITHUB_WORKSPACE": "/github/workspace"}), false)
		if err != nil || c.Workflow != want || c.Job != "preflight" || c.Workspace != "/github/workspace" {
			t.Errorf("%q: workflow %q job %q workspace %q (%v); want %q", ref, c.Workflow, c.Job, c.Workspace, err, want)
		}
	}
}

// TestTokensLineWordingByReader: a tokens line without '=' is explained in
// the reader's own terms: a workflow expression in a workflow, the token
// itself in a terminal's file, where ${{ secrets.X }} means nothing.
func TestTokensLineWordingByReader(t *testing.T) {
	t.Parallel()
	raw := config.Raw{config.InTokens: "GHP_LOOKING_LINE_WITHOUT_EQUALS"}
	_, err := config.Parse(raw, env(nil), true)
	if err == nil || !strings.Contains(err.Error(), "line 1 has no '='") || strings.Contains(err.Error(), "${{") ||
		!strings.Contains(err.Error(), "DOCS_DEPLOY_TOKEN=ghp_…") || !strings.HasPrefix(err.Error(), "flag --tokens-file: ") {
		t.Errorf("terminal: %v", err)
	}
	_, err = config.Parse(raw, env(nil), false)
	if err == nil || !strings.Contains(err.Error(), "DOCS_DEPLOY_TOKEN=${{ secrets.DOCS_DEPLOY_TOKEN }}") {
		t.Errorf("workflow: %v", err)
	}
}

// TestLongRegistryClipped: a 100 KB registry is refused by its length, and
// the message quotes only its start.
func TestLongRegistryClipped(t *testing.T) {
	t.Parallel()
	for _, long := range []string{strings.Repeat("a", 100_000), strings.Repeat("a", 63) + strings.Repeat(".a", 50_000)} {
		for _, terminal := range []bool{true, false} {
			_, err := config.Parse(config.Raw{config.InToken: "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx", config.InRegistry: long, config.InUsername: "u"}, env(nil), terminal)
			if err == nil || len(err.Error()) > 600 || !strings.Contains(err.Error(), "longer than any host name and port (at most 259)") {
				t.Errorf("terminal %v: %d bytes: %.300s", terminal, len(fmt.Sprint(err)), fmt.Sprint(err))
			}
		}
	}
}
