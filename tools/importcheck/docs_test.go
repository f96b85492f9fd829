package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/testenv"
)

// The documents that describe the repository's parts are checked against
// it: ARCHITECTURE.md's dependency table is the rules' -table output, and
// both ARCHITECTURE.md's package table and README.md's layout table name
// every package `go list ./...` reports, and nothing else.

const root = "../.."

func readDoc(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join(root, name))
	require.NoError(t, err)
	return string(b)
}

// between returns the text of doc between the two markers.
func between(t *testing.T, doc, name, start, end string) string {
	_, rest, ok := strings.Cut(doc, start)
	require.True(t, ok, "%s has no %s", name, start)
	in, _, ok := strings.Cut(rest, end)
	require.True(t, ok, "%s has no %s", name, end)
	return in
}

func TestArchitectureRulesTable(t *testing.T) {
	doc := readDoc(t, "ARCHITECTURE.md")
	got := between(t, doc, "ARCHITECTURE.md", "<!-- importcheck -->\n", "<!-- /importcheck -->")
	require.Equal(t, Table(), got, "ARCHITECTURE.md's dependency table differs from the rules: paste `go run ./tools/importcheck -table` between its markers")
}

var firstCellSpans = regexp.MustCompile("`([^`]+)`")

// tablePaths returns the code spans of the first column of the Markdown
// table rows in text.
func tablePaths(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cell, _, _ := strings.Cut(strings.TrimPrefix(l, "|"), "|")
		for _, m := range firstCellSpans.FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// modulePackages lists the packages of the module, relative to its root
// ("." for the root package).
func modulePackages(t *testing.T) []string {
	cmd := exec.Command("go", "list", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err)
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		pkgs = append(pkgs, short(p))
	}
	require.Contains(t, pkgs, "host")
	return pkgs
}

// checkNamesPackages checks that the paths name every package of pkgs and
// nothing that is not one. A path is a package ("host/client", a
// trailing / allowed), a package and everything below it
// ("host/internal/..."), or a .go file, which names the package of its
// directory ("guestsrc.go" is the root package).
func checkNamesPackages(t *testing.T, doc string, paths, pkgs []string) {
	require.NotEmpty(t, paths, "%s: no table rows found", doc)
	named := map[string]bool{}
	for _, p := range paths {
		switch {
		case strings.HasSuffix(p, ".go"):
			_, err := os.Stat(filepath.Join(root, p))
			require.NoError(t, err, "%s names the file %s, which does not exist", doc, p)
			dir := filepath.Dir(p)
			require.Contains(t, pkgs, dir, "%s names %s, whose directory is no package", doc, p)
			named[dir] = true
		case strings.HasSuffix(p, "/..."):
			base := strings.TrimSuffix(p, "/...")
			n := 0
			for _, q := range pkgs {
				if q == base || strings.HasPrefix(q, base+"/") {
					named[q] = true
					n++
				}
			}
			require.NotZero(t, n, "%s names %s, which matches no package", doc, p)
		default:
			p = strings.TrimSuffix(p, "/")
			require.Contains(t, pkgs, p, "%s names %s, which is no package of the module (a directory holding packages is written %s/...)", doc, p, p)
			named[p] = true
		}
	}
	for _, q := range pkgs {
		require.True(t, named[q], "%s does not name the package %s", doc, q)
	}
}

func TestArchitecturePackages(t *testing.T) {
	doc := readDoc(t, "ARCHITECTURE.md")
	table := between(t, doc, "ARCHITECTURE.md", "<!-- packages -->", "<!-- /packages -->")
	checkNamesPackages(t, "ARCHITECTURE.md's package table", tablePaths(table), modulePackages(t))
}

func TestReadmeLayout(t *testing.T) {
	doc := readDoc(t, "README.md")
	_, rest, ok := strings.Cut(doc, "\n## Layout\n")
	require.True(t, ok, "README.md has no ## Layout section")
	section, _, _ := strings.Cut(rest, "\n## ")
	checkNamesPackages(t, "README.md's layout table", tablePaths(section), modulePackages(t))
}

// TestNoPhantomDocuments keeps the repository from citing documents it
// does not hold: the old design notes, and the notation document the codec
// once pointed to, which gene/NOTATION.md replaces.
func TestNoPhantomDocuments(t *testing.T) {
	cmd := exec.Command("git", "ls-files")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		testenv.Skipf(t, "git ls-files: %v (the check reads the files git tracks)", err)
	}
	files := strings.Fields(string(out))
	// Spelled in two parts so that this file does not cite them itself.
	phantoms := []string{"DESIGN" + ".md", "GENE-DATA" + ".md"}
	for _, f := range files {
		if slices.Contains([]string{".png", ".wasm", ".jpg"}, filepath.Ext(f)) || strings.Contains(f, "testdata/") || strings.Contains(f, "node_modules/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the working tree
		}
		for _, phantom := range phantoms {
			require.False(t, strings.Contains(string(b), phantom), "%s cites %s, which is not in the repository", f, phantom)
		}
	}
}
