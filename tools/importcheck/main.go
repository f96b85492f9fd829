// Command importcheck enforces the dependency direction of DESIGN.md
// section 8: gene imports nothing of ours; proto imports only gene; abi only
// gene; the host core imports neither wazero nor goja (the runtimes live in
// their own packages under host/). It exits non-zero naming each violation.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

const module = "github.com/genehost/genehost"

// allowed lists, for each package prefix, the project packages it may import.
// A package not matched here may import anything of ours.
var rules = []struct {
	pkg     string
	allowed []string
	denied  []string // third-party prefixes it must not import
}{
	{pkg: module + "/gene", allowed: []string{module + "/gene"}},
	{pkg: module + "/proto", allowed: []string{module + "/gene", module + "/proto"}},
	{pkg: module + "/abi", allowed: []string{module + "/gene", module + "/abi"}},
	{pkg: module + "/host", denied: []string{"github.com/tetratelabs/wazero", "github.com/dop251/goja"}},
}

type pkgInfo struct {
	ImportPath string
	Imports    []string
}

func main() {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "importcheck: go list:", err)
		os.Exit(2)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	bad := 0
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			fmt.Fprintln(os.Stderr, "importcheck: decode:", err)
			os.Exit(2)
		}
		for _, r := range rules {
			// host/<runtime> subpackages are the allowed home of wazero and goja.
			if r.pkg == module+"/host" && p.ImportPath != r.pkg {
				continue
			}
			if p.ImportPath != r.pkg && !strings.HasPrefix(p.ImportPath, r.pkg+"/") {
				continue
			}
			for _, imp := range p.Imports {
				if strings.HasPrefix(imp, module+"/") && r.allowed != nil && !hasPrefixAny(imp, r.allowed) {
					fmt.Printf("%s must not import %s\n", p.ImportPath, imp)
					bad++
				}
				if hasPrefixAny(imp, r.denied) {
					fmt.Printf("%s must not import %s (keep it in a runtime package)\n", p.ImportPath, imp)
					bad++
				}
			}
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if s == p || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}
