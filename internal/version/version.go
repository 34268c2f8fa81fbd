// Package version says which token-gate is running: its version, the commit
// it was built from and the Go that built it.
//
// A release build stamps its tag, and the image its commit, with -ldflags
// "-X github.com/token-gate/token-gate/internal/version.Version=v1.2.3"
// (and .Commit=SHA), as .github/workflows/release.yml and the Dockerfile do.
// Every other build falls back on what Go records in the binary
// (runtime/debug.ReadBuildInfo): the module version `go install` fetched, or
// the commit of the checkout `go build` ran in (docs/facts.md, "Build
// information").
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version and Commit are set through ldflags by release builds.
var (
	Version = ""
	Commit  = ""
)

// devel is the version of a build that records none: `go run`, `go test`,
// a Dockerfile built without its VERSION argument.
const devel = "devel"

// Info is what `token-gate --version` says.
type Info struct {
	Version  string // a release tag, a module (pseudo-)version, or "devel"
	Commit   string // at most 12 hex digits; "" when nothing recorded it
	Modified bool   // built from a checkout with uncommitted changes
	Go       string // the Go release that built it, e.g. go1.26.0
	Platform string // GOOS/GOARCH
}

// Read returns what this binary knows of itself.
func Read() Info {
	build, _ := debug.ReadBuildInfo() // nil when the binary records nothing
	return fromBuild(build, Version, Commit)
}

// String is Read's answer in one line, e.g.
// "v1.2.3 (commit 0123456789ab, go1.26.0 linux/amd64)".
func String() string { return Read().String() }

// pseudoRev is the commit at the end of a pseudo-version, which
// `go install …@main` records, with no VCS settings (docs/facts.md, "Build
// information"): the leftmost match of [.-]\d{14}-([0-9a-f]{12})(?:\+.*)?$,
// matched by hand, as every run that audits pays for a compiled expression
// (docs/speed.md); the test checks it against the expression.
func pseudoRev(module string) (string, bool) {
	for i := 0; i+28 <= len(module); i++ {
		if module[i] != '.' && module[i] != '-' || !digits(module[i+1:i+15]) || module[i+15] != '-' {
			continue
		}
		rev, rest := module[i+16:i+28], module[i+28:]
		if strings.Trim(rev, "0123456789abcdef") == "" && (rest == "" || rest[0] == '+' && !strings.Contains(rest, "\n")) {
			return rev, true
		}
	}
	return "", false
}

// digits reports a non-empty run of ASCII digits.
func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// fromBuild chooses, for each field, the most exact source there is: the
// release's stamp, then the VCS settings Go recorded, then the module
// version.
func fromBuild(build *debug.BuildInfo, stampedVersion, stampedCommit string) Info {
	i := Info{Version: devel, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	module := ""
	if build != nil {
		if build.GoVersion != "" {
			i.Go = build.GoVersion
		}
		if v := build.Main.Version; v != "" && v != "(devel)" {
			module = v
		}
		for _, s := range build.Settings {
			switch s.Key {
			case "vcs.revision":
				i.Commit = s.Value
			case "vcs.modified":
				i.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case stampedVersion != "":
		i.Version = stampedVersion
	case module != "":
		i.Version = module
	}
	if i.Commit == "" {
		i.Commit = stampedCommit
	}
	if rev, ok := pseudoRev(module); i.Commit == "" && ok {
		i.Commit = rev
	}
	if strings.HasSuffix(module, "+dirty") {
		i.Modified = true
	}
	if len(i.Commit) > 12 {
		i.Commit = i.Commit[:12]
	}
	return i
}

// String is the line --version prints after the program's name.
func (i Info) String() string {
	commit := "commit unknown"
	if i.Commit != "" {
		commit = "commit " + i.Commit
		if i.Modified {
			commit += ", modified"
		}
	}
	return fmt.Sprintf("%s (%s, %s %s)", i.Version, commit, i.Go, i.Platform)
}

// releaseMajor reads a release tag, vMAJOR.MINOR.PATCH and nothing after
// (^v(\d+)\.\d+\.\d+$): its major version.
func releaseMajor(v string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if !strings.HasPrefix(v, "v") || len(parts) != 3 || !digits(parts[0]) || !digits(parts[1]) || !digits(parts[2]) {
		return "", false
	}
	return parts[0], true
}

// ActionRef is the uses: reference a workflow fix should write for this
// build: a release's moving major tag (token-gate/token-gate@v1), which
// docs/releases.md says each release moves; anything else (devel, a
// pseudo-version, a pre-release) writes @main, the only reference that
// exists before a release. A commit pin is not offered: a release's tag
// points at the commit that pins its image, one after the commit the binary
// was built from, so the binary cannot know it.
func (i Info) ActionRef() string {
	if major, ok := releaseMajor(i.Version); ok {
		return "token-gate/token-gate@v" + major
	}
	return "token-gate/token-gate@main"
}
