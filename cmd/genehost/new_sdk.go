package main

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/genehost/genehost"
)

// scaffoldSDK returns the SDK files a new plugin of kind gets besides its
// scaffold: the TypeScript declarations for js and ts; for go, the guest
// SDK sources embedded in this binary as the module .genehost that the
// scaffold's go.mod replaces github.com/genehost/genehost with, so that
// go build and go test work in the folder without network.
func scaffoldSDK(kind, goVersion string) ([]scaffoldFile, error) {
	var out []scaffoldFile
	switch kind {
	case "js", "ts":
		for _, n := range []string{"genehost.d.ts", "genehost-test.d.ts"} {
			b, err := genehost.JSDeclarations.ReadFile("sdk/js/" + n)
			if err != nil {
				return nil, err
			}
			out = append(out, scaffoldFile{name: n, mode: 0o644, data: b})
		}
	case "go":
		err := fs.WalkDir(genehost.GuestSources, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, err := genehost.GuestSources.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, scaffoldFile{name: path.Join(".genehost", p), mode: 0o644, data: b})
			return nil
		})
		if err != nil {
			return nil, err
		}
		gomod := fmt.Sprintf("module %s\n\ngo %s\n", genehost.ModulePath, goVersion)
		out = append(out, scaffoldFile{name: ".genehost/go.mod", mode: 0o644, data: []byte(gomod)})
	}
	return out, nil
}
