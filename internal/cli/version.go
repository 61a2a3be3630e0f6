package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at release time with -ldflags "-X github.com/licmon/licmon/internal/cli.Version=v1.2.3".
var Version = ""

// Commit and Date are stamped by the release script (scripts/release.sh)
// with -ldflags -X, like Version: the source commit and the build date.
var Commit, Date = "", ""

// version resolves the version from the linker flag, else from the module
// build info with the VCS revision, so that a `go build` from a checkout
// still says which commit it is.
func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + dirty + ")"
	}
	return v
}

func runVersion(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "version", `
Usage: licmon version

Prints the licmon version, the Go version and the platform.
`)
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	build := ""
	if Commit != "" {
		build += " commit " + Commit
	}
	if Date != "" {
		build += " built " + Date
	}
	fmt.Fprintf(e.stdout, "licmon %s%s %s %s/%s\n", version(), build, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}
