package version

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

const (
	sha     = "0123456789abcdef0123456789abcdef01234567"
	short   = "0123456789ab"
	pseudo  = "v0.0.0-20260102030405-0123456789ab"
	goBuilt = "go1.26.0"
)

// Each way token-gate is built records something different; each says its
// version and commit as exactly as it can.
func TestFromBuild(t *testing.T) {
	t.Parallel()
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: sha}, {Key: "vcs.modified", Value: modified}}
	}
	build := func(version string, settings []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: goBuilt, Main: debug.Module{Path: "github.com/token-gate/token-gate", Version: version}, Settings: settings}
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name                   string
		build                  *debug.BuildInfo
		stampVersion, stampSHA string
		want                   string
	}{
		{"a release binary: the tag stamped, the commit Go recorded", build(pseudo, vcs("false")), "v1.2.3", "",
			"v1.2.3 (commit " + short + ", go1.26.0 " + platform + ")"},
		{"the release image: built without .git, both stamped", build("(devel)", nil), "v1.2.3", sha,
			"v1.2.3 (commit " + short + ", go1.26.0 " + platform + ")"},
		{"go install …@v1.2.3: the module version, no VCS", build("v1.2.3", nil), "", "",
			"v1.2.3 (commit unknown, go1.26.0 " + platform + ")"},
		{"go install …@main: the commit from the pseudo-version", build(pseudo, nil), "", "",
			pseudo + " (commit " + short + ", go1.26.0 " + platform + ")"},
		{"a pre-release pseudo-version", build("v1.2.4-0.20260102030405-0123456789ab", nil), "", "",
			"v1.2.4-0.20260102030405-0123456789ab (commit " + short + ", go1.26.0 " + platform + ")"},
		{"go build in a clone with changes", build(pseudo+"+dirty", vcs("true")), "", "",
			pseudo + "+dirty (commit " + short + ", modified, go1.26.0 " + platform + ")"},
		{"an older Go: (devel), with VCS", build("(devel)", vcs("false")), "", "",
			"devel (commit " + short + ", go1.26.0 " + platform + ")"},
		{"main's image: the Dockerfile built without arguments", build("(devel)", nil), "", "",
			"devel (commit unknown, go1.26.0 " + platform + ")"},
		{"no build information at all", nil, "", "",
			"devel (commit unknown, " + runtime.Version() + " " + platform + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fromBuild(tc.build, tc.stampVersion, tc.stampSHA).String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// The real binary says what it was built from: built in a git clone, that
// clone's commit (and that it was modified); built as a release, the tag the
// release stamps. The clone is a fresh copy of this module's source, so the
// test does not depend on how this checkout is kept.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds token-gate three times; skipped with -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git to make a clone with")
	}
	t.Parallel()
	clone := t.TempDir()
	copySource(t, filepath.Join("..", ".."), clone)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = clone
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "source")
	head := git("rev-parse", "HEAD")[:12]

	bin := filepath.Join(t.TempDir(), "token-gate")
	version := func(ldflags string) string {
		t.Helper()
		// -buildvcs=auto is Go's default, whatever GOFLAGS says here.
		args := []string{"build", "-trimpath", "-buildvcs=auto", "-o", bin}
		if ldflags != "" {
			args = append(args, "-ldflags="+ldflags)
		}
		build := exec.Command("go", append(args, ".")...)
		build.Dir = clone
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		cmd := exec.Command(bin, "--version")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // a terminal, not an Actions step
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("--version: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	suffix := ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"

	got := version("")
	if want := "-" + head + " (commit " + head + suffix; !strings.HasPrefix(got, "token-gate v0.0.0-") || !strings.HasSuffix(got, want) {
		t.Errorf("a build in a clone says %q; want token-gate v0.0.0-…%s", got, want)
	}
	pkg := "github.com/token-gate/token-gate/internal/version."
	if got, want := version("-X "+pkg+"Version=v9.8.7 -X "+pkg+"Commit="+sha), "token-gate v9.8.7 (commit "+head+suffix; got != want {
		t.Errorf("a release build says %q; want %q", got, want)
	}
	if err := os.WriteFile(filepath.Join(clone, "main.go"), append(readFile(t, filepath.Join(clone, "main.go")), "\n// changed\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := version(""), "+dirty (commit "+head+", modified"+suffix; !strings.HasSuffix(got, want) {
		t.Errorf("a build of a changed clone says %q; want …%q", got, want)
	}
}

// copySource copies what building token-gate needs (the Dockerfile's list).
func copySource(t *testing.T, from, to string) {
	t.Helper()
	for _, name := range []string{"go.mod", "go.sum", "main.go", "internal"} {
		err := filepath.WalkDir(filepath.Join(from, name), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(from, p)
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(to, rel), 0o755)
			}
			return os.WriteFile(filepath.Join(to, rel), readFile(t, p), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A fix names the release's major tag, and @main for everything that is
// no release (the commit it was built from is not the tag's).
func TestActionRef(t *testing.T) {
	for v, want := range map[string]string{
		"v1.2.3":                               "token-gate/token-gate@v1",
		"v12.0.1":                              "token-gate/token-gate@v12",
		"devel":                                "token-gate/token-gate@main",
		"v1.2.4-0.20261204120000-0123456789ab": "token-gate/token-gate@main",
		"v2.0.0-rc.1":                          "token-gate/token-gate@main",
		"v1.2.3+dirty":                         "token-gate/token-gate@main",
	} {
		if got := (Info{Version: v}).ActionRef(); got != want {
			t.Errorf("ActionRef of %s = %s, want %s", v, got, want)
		}
	}
}

// pseudoRev and releaseMajor are matched by hand; they must agree with the
// expressions they replace on every string, which random strings over
// their characters, and the shapes Go and releases write, explore.
func TestHandMatchersMatchTheirExpressions(t *testing.T) {
	t.Parallel()
	pseudo := regexp.MustCompile(`[.-]\d{14}-([0-9a-f]{12})(?:\+.*)?$`)
	release := regexp.MustCompile(`^v(\d+)\.\d+\.\d+$`)
	check := func(s string) {
		m := pseudo.FindStringSubmatch(s)
		if rev, ok := pseudoRev(s); ok != (m != nil) || ok && rev != m[1] {
			t.Errorf("pseudoRev(%q) = %q, %v; the expression says %q", s, rev, ok, m)
		}
		m = release.FindStringSubmatch(s)
		if major, ok := releaseMajor(s); ok != (m != nil) || ok && major != m[1] {
			t.Errorf("releaseMajor(%q) = %q, %v; the expression says %q", s, major, ok, m)
		}
	}
	for _, s := range []string{"v0.0.0-20261204123456-0123456789ab", "v1.2.4-0.20261204123456-0123456789ab+dirty", "v0.0.0-20261204123456-0123456789ab+x\ny",
		"v0.0.0-20261204123456-0123456789AB", "v0.0.0-2026120412345-0123456789ab", "x.20261204123456-0123456789ab.20261204123456-ba9876543210",
		"v1.2.3", "v12.0.10", "v1.2", "v1.2.3\n", "1.2.3", "v1.2.3-rc.1", "v.1.2", "v1..3", ""} {
		check(s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	chars := []byte("v.-+0123456789abf\nx")
	for range 200000 {
		b := make([]byte, rng.IntN(34))
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		check(string(b))
	}
	// Random strings seldom hold 14 digits in a row: build pseudo-version
	// shapes and break them one byte at a time.
	for range 20000 {
		b := []byte(fmt.Sprintf("v0.0.0-%014d-%012x", rng.Int64N(1e14), rng.Int64N(1<<48)))
		if rng.IntN(2) == 0 {
			b = append(b, "+dirty"...)
		}
		b[rng.IntN(len(b))] = chars[rng.IntN(len(chars))]
		check(string(b))
	}
}
