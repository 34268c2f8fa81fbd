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
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
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
// information"). It and release are compiled when first asked for, not at
// start-up, which every run pays and --version measures (docs/speed.md).
var pseudoRev = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[.-]\d{14}-([0-9a-f]{12})(?:\+.*)?$`)
})

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
	if m := pseudoRev().FindStringSubmatch(module); i.Commit == "" && m != nil {
		i.Commit = m[1]
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

// release is a release tag: vMAJOR.MINOR.PATCH, nothing after.
var release = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^v(\d+)\.\d+\.\d+$`) })

// ActionRef is the uses: reference a workflow fix should write for this
// build: a release's moving major tag (token-gate/token-gate@v1), which
// docs/releases.md says each release moves; anything else (devel, a
// pseudo-version, a pre-release) writes @main, the only reference that
// exists before a release. A commit pin is not offered: a release's tag
// points at the commit that pins its image, one after the commit the binary
// was built from, so the binary cannot know it.
func (i Info) ActionRef() string {
	if m := release().FindStringSubmatch(i.Version); m != nil {
		return "token-gate/token-gate@v" + m[1]
	}
	return "token-gate/token-gate@main"
}
