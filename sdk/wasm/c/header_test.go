package c_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An example in genehost.h is a run of comment lines indented by four
// spaces past " * ". It is one of three kinds, each built its own way:
//   - a build command (it starts with "clang"): run as written, with the
//     test's compiler and sysroot, on the header's minimal plugin;
//   - a file (it has an #include) or top-level code (a line at its first
//     column ending in "{"): compiled after the header's implementation,
//     with the default callbacks it does not define itself;
//   - statements: compiled as the body of a function whose parameters are
//     the names examples use without declaring them: link, the request
//     node n and the writer w.
type headerExample struct {
	line int // where it starts in genehost.h, 1-based
	code string
}

var exampleLine = regexp.MustCompile(`^ \*     (.*)$`)

func headerExamples(t *testing.T) []headerExample {
	t.Helper()
	b, err := os.ReadFile("genehost.h")
	require.NoError(t, err)
	var out []headerExample
	var cur *headerExample
	for i, l := range strings.Split(string(b), "\n") {
		m := exampleLine.FindStringSubmatch(l)
		if m == nil {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, headerExample{line: i + 1})
			cur = &out[len(out)-1]
		}
		cur.code += m[1] + "\n"
	}
	return out
}

var callbacks = map[string]string{
	"gh_on_open": "GH_DEFAULT_ON_OPEN", "gh_on_values": "GH_DEFAULT_ON_VALUES",
	"gh_on_control": "GH_DEFAULT_ON_CONTROL", "gh_on_close": "GH_DEFAULT_ON_CLOSE",
	"gh_on_timer": "GH_DEFAULT_ON_TIMER",
}

// withDefaults prefixes code with the defaults of the callbacks it does
// not define.
func withDefaults(code string) string {
	var b strings.Builder
	for cb, def := range callbacks {
		if !strings.Contains(code, "int32_t "+cb+"(") {
			fmt.Fprintf(&b, "#define %s\n", def)
		}
	}
	return b.String() + code
}

var topLevel = regexp.MustCompile(`(?m)^[A-Za-z].*\{$`)

// TestHeaderExamples builds every usage example in genehost.h against the
// header, so the examples keep matching its signatures.
func TestHeaderExamples(t *testing.T) {
	requireToolchain(t)
	const impl = "#define GENEHOST_IMPLEMENTATION\n#include \"genehost.h\"\n"
	kinds := map[string]int{}
	for _, ex := range headerExamples(t) {
		var kind, src string
		switch {
		case strings.HasPrefix(ex.code, "clang "):
			kind = "command"
		case strings.Contains(ex.code, "#include"):
			kind, src = "file", withDefaults(ex.code)
		case topLevel.MatchString(ex.code):
			kind, src = "top-level", withDefaults(impl+ex.code)
		default:
			kind = "statements"
			src = withDefaults(impl) + "int32_t gh_example(uint64_t link, gh_node n, gh_writer w);\n" +
				"int32_t gh_example(uint64_t link, gh_node n, gh_writer w) {\n(void)link, (void)n, (void)w;\n" +
				ex.code + "return GH_OK;\n}\n"
		}
		kinds[kind]++
		t.Run(fmt.Sprintf("genehost.h:%d %s", ex.line, kind), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var cmd *exec.Cmd
			if kind == "command" {
				// The documented command, on the header's minimal
				// plugin beside a copy of the header.
				hdr, err := os.ReadFile("genehost.h")
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, "genehost.h"), hdr, 0o644))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "p.c"), []byte(withDefaults(impl)), 0o644))
				args := strings.Fields(ex.code)[1:]
				if s := os.Getenv("WASI_SYSROOT"); s != "" {
					args = append(args, "--sysroot="+s)
				}
				cmd = exec.Command(cc(), args...)
				cmd.Dir = dir
			} else {
				c := filepath.Join(dir, "example.c")
				require.NoError(t, os.WriteFile(c, []byte(src), 0o644))
				cmd = exec.Command(cc(), ccArgs(filepath.Join(dir, "example.wasm"), c)...)
			}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "the example at genehost.h:%d does not build:\n%s\n%s", ex.line, withLines(src), out)
		})
	}
	// The extraction found each kind: a header whose examples were all
	// skipped would otherwise pass.
	for _, k := range []string{"command", "file", "top-level", "statements"} {
		require.NotZero(t, kinds[k], "no %s example found in genehost.h (found %v)", k, kinds)
	}
}

func withLines(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, l)
	}
	return b.String()
}
