package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/proto"
)

// version is set at link time for releases:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/genehost
//
// Otherwise it comes from the build information: the module version of
// 'go install ...@v1.2.3', or the VCS revision of a checkout.
var version = ""

// buildVersion returns the version of this binary.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "v" + host.Version + " (no build information)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "v" + host.Version + " (devel)"
	}
	return "v" + host.Version + " (devel " + rev + modified + ")"
}

// printVersion writes what 'genehost --version' prints: the version, and
// the versions of what it speaks.
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "genehost %s\n", buildVersion())
	fmt.Fprintf(w, "protocol %d, plugin ABI %s, %s %s/%s\n", proto.Version, abi.Version(abi.Major, abi.Minor), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
