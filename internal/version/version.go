// Package version reports which token-gate is running: the value stamped at
// build time with -ldflags "-X .../internal/version.Version=v1.2.3", or else
// the module version Go recorded.
package version

import "runtime/debug"

// Version is set through ldflags by release builds.
var Version = ""

// String returns the best version known.
func String() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
