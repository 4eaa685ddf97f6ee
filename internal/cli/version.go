package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Version describes the build from its build info (runtime/debug.ReadBuildInfo): the module's
// version and the commit it was built from. `go build` in a git checkout records both; `go run`
// and `go test` record neither, and the text says so rather than inventing one.
func Version(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "version unknown: the binary carries no build information\n"
	}
	var b strings.Builder
	version := info.Main.Version
	if version == "" || version == "(devel)" {
		version = "(devel): built from a source tree without a module version"
	}
	fmt.Fprintf(&b, "%s %s\n", info.Main.Path, version)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "commit %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("commit unknown: the build recorded no VCS information (go run, go test, -buildvcs=false, or not a git checkout)\n")
	}
	fmt.Fprintf(&b, "built with %s\n", info.GoVersion)
	return b.String()
}
