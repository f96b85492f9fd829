package js_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/proto"
	"github.com/genehost/genehost/tests/testenv"
)

// TestTypecheck type-checks the declarations against the examples and
// typecheck/api.js with tsc. api.js holds misuses marked @ts-expect-error,
// so declarations too loose to refuse them fail as surely as declarations
// that refuse valid handlers.
func TestTypecheck(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		testenv.NeedTool(t, tool, "the TypeScript check needs Node.js and npm (typecheck.sh then installs tsc into sdk/js/node_modules; tools/test-tools.sh installs them under CI=true)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", "typecheck.sh").CombinedOutput()
	require.NoError(t, err, "sdk/js/typecheck.sh:\n%s", out)
	t.Logf("%s", out)
}

// load compiles and instantiates examples/NAME/handler.js on a recording
// host.
func load(t *testing.T, name string, g plugin.Grants) (plugin.Instance, *plugintest.Host) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("examples", name))
	require.NoError(t, err)
	code, err := os.ReadFile(filepath.Join(dir, "handler.js"))
	require.NoError(t, err)
	rt := jsrt.New()
	t.Cleanup(func() { rt.Close(context.Background()) })
	m, err := rt.Compile(t.Context(), &plugin.Source{Name: name, Dir: dir, Entry: "handler.js", Code: code, Grants: g})
	require.NoError(t, err)
	h := plugintest.New(t, g)
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(context.Background()) })
	return in, h
}

func texts(vs []gene.Value) []string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = gene.Format(v)
	}
	return s
}

func parse(t *testing.T, text string) []gene.Value {
	t.Helper()
	vs, err := gene.ParseAll([]byte(text), gene.ReadOptions{})
	require.NoError(t, err)
	return vs
}

func TestEchoExample(t *testing.T) {
	in, h := load(t, "echo", plugin.Grants{})
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "echo", Direction: proto.DirSendRecv}))
	batch := parse(t, `1 1.0 "s" 'c' sym (n ^p 1 @m 2 x) {{1 : 2}} #B16#00ff 2026-11-24 #[1]`)
	_, err := in.Receive(t.Context(), 1, batch)
	require.NoError(t, err)
	assert.Equal(t, texts(batch), texts(h.Sent(1)))
	v, err := in.Control(t.Context(), 0, "hello", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, "hi", gene.Format(v))
}

func TestNotesExample(t *testing.T) {
	in, h := load(t, "notes", plugin.Grants{KV: true, Timers: true})
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "notes", Direction: proto.DirSendRecv}))
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 2, Interface: "notes", Direction: proto.DirSendRecv}))
	send := func(link plugin.LinkID, text string) plugin.Flow {
		t.Helper()
		flow, err := in.Receive(t.Context(), link, parse(t, text))
		require.NoError(t, err)
		return flow
	}
	fire := func() {
		t.Helper()
		select {
		case id := <-h.Timers:
			in.Timer(t.Context(), id)
		case <-time.After(10 * time.Second):
			t.Fatal("no timer fired")
		}
	}

	send(1, `(put ^key "a/1" ^value (note "first" ^tags [x y])) (put ^key "a/2" ^value 2.0) (put ^key "b/1" ^value nil)`)
	send(1, `(get ^key "a/1") (get ^key "zzz") (list ^prefix "a/") (delete ^key "a/2") (delete ^key "a/2") (list ^prefix "a/")`)
	send(1, `(get ^key 7) unknown (frobnicate)`)
	assert.Equal(t, []string{
		`(ok ^key "a/1")`, `(ok ^key "a/2")`, `(ok ^key "b/1")`,
		`(value ^key "a/1" (note ^tags [x y] "first"))`, `(missing ^key "zzz")`, `(keys ["a/1" "a/2"])`,
		`(deleted ^key "a/2" ^^found)`, `(deleted ^key "a/2" ^found false)`, `(keys ["a/1"])`,
		`(error "get: ^key must be a string, got number")`,
		`(error "a request is a node such as (get ^key \"k\")")`, `(error "unknown request frobnicate")`,
	}, texts(h.Sent(1)))

	// Timers: a delayed answer, and a link held paused until its timer.
	send(2, `(later ^ms 1 [1 2])`)
	fire()
	assert.Equal(t, plugin.Pause, send(2, `(hold ^ms 1)`))
	assert.Empty(t, h.Resumed())
	fire()
	assert.Equal(t, []plugin.LinkID{2}, h.Resumed())
	assert.Equal(t, []string{`(later [1 2])`, `(resumed)`}, texts(h.Sent(2)))

	v, err := in.Control(t.Context(), 0, "stats", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, `{^links 2 ^requests 14}`, gene.Format(v))
	v, err = in.Control(t.Context(), 0, "clear", gene.String("a/"))
	require.NoError(t, err)
	assert.Equal(t, `1`, gene.Format(v))
	_, err = in.Control(t.Context(), 0, "clear", gene.Int(1))
	require.ErrorContains(t, err, "TypeError: clear wants a prefix string")

	in.Closed(t.Context(), 2, nil)
	v, err = in.Control(t.Context(), 0, "stats", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, `{^links 1 ^requests 14}`, gene.Format(v))
	assert.Contains(t, h.Logs(), "info 1 open 1 notes send+recv")
	assert.Contains(t, h.Logs(), "info 2 close 2 orderly")

	t.Run("without the kv grant", func(t *testing.T) {
		in, _ := load(t, "notes", plugin.Grants{})
		require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "notes", Direction: proto.DirSendRecv}))
		_, err := in.Receive(t.Context(), 1, parse(t, `(get ^key "a")`))
		require.ErrorContains(t, err, "HostError: genehost.kv.get: the key-value store is not granted")
	})
}

// TestDeclarationsMatchRuntime compares what genehost.d.ts declares with
// what a handler finds at run time: the globals jsrt adds to a bare goja
// runtime, the members of gene, genehost and genehost.kv, and the fields
// and methods of a link.
func TestDeclarationsMatchRuntime(t *testing.T) {
	dts, err := os.ReadFile("genehost.d.ts")
	require.NoError(t, err)
	decl := parseDeclarations(t, string(dts))

	dir := t.TempDir()
	probe := `module.exports = { control: { probe(arg, link) {
  const own = (o) => Object.getOwnPropertyNames(o);
  const proto = Object.getPrototypeOf(link);
  return {
    globals: own(globalThis),
    gene: Object.keys(gene),
    genehost: Object.keys(genehost),
    kv: Object.keys(genehost.kv),
    link: [...Object.keys(link), ...own(proto).filter((k) => k !== 'constructor')],
    commonjs: [typeof module, typeof exports, typeof __filename, typeof __dirname, typeof require],
  };
} } };`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "handler.js"), []byte(probe), 0o644))
	rt := jsrt.New()
	m, err := rt.Compile(t.Context(), &plugin.Source{Name: "probe", Dir: dir, Entry: "handler.js", Code: []byte(probe)})
	require.NoError(t, err)
	in, err := m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
	require.NoError(t, err)
	defer in.Close(context.Background())
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "probe", Direction: proto.DirSend}))
	v, err := in.Control(t.Context(), 1, "probe", gene.Nil())
	require.NoError(t, err)
	got := map[string][]string{}
	for _, p := range v.Props() {
		for _, e := range p.Value.List() {
			got[p.Key] = append(got[p.Key], e.Str())
		}
	}

	// The globals jsrt adds: those of the instance less those of a bare
	// goja runtime.
	bare, err := goja.New().RunString("Object.getOwnPropertyNames(globalThis)")
	require.NoError(t, err)
	var base []string
	require.NoError(t, goja.New().ExportTo(bare, &base))
	var added []string
	for _, g := range got["globals"] {
		if !slices.Contains(base, g) {
			added = append(added, g)
		}
	}
	// module, exports, __filename and __dirname are the CommonJS wrapper's
	// parameters rather than globals.
	assert.Equal(t, []string{"object", "object", "string", "string", "function"}, got["commonjs"])
	wrapper := []string{"module", "exports", "__filename", "__dirname"}
	var declaredGlobals []string
	for _, g := range decl["global"] {
		if !slices.Contains(wrapper, g) {
			declaredGlobals = append(declaredGlobals, g)
		}
	}
	// Declared classes that goja itself defines (GoError) exist at run
	// time too: the other direction of the comparison below.
	for _, m := range regexp.MustCompile(`(?m)^declare class (\w+)`).FindAllStringSubmatch(string(dts), -1) {
		assert.Contains(t, got["globals"], m[1], "genehost.d.ts declares class %s, which the runtime lacks", m[1])
	}
	for _, c := range []struct{ what, key string }{
		{"globals", ""}, {"gene", "gene"}, {"genehost", "genehost"}, {"genehost.kv", "kv"}, {"Link", "link"},
	} {
		t.Run(c.what, func(t *testing.T) {
			declared, runtime := decl[c.key], got[c.key]
			if c.key == "" {
				declared, runtime = declaredGlobals, added
			}
			slices.Sort(declared)
			slices.Sort(runtime)
			assert.Equal(t, runtime, declared, "genehost.d.ts declares (right) what the runtime has (left)")
		})
	}
}

// parseDeclarations reads the names genehost.d.ts declares: top-level
// values ("global"), the values of namespaces gene and genehost, the
// members of genehost.kv and of interface Link. It relies on the file's
// layout (two-space indents), which the test keeps honest: a name missed
// here shows up as a difference.
func parseDeclarations(t *testing.T, src string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	top := regexp.MustCompile(`(?m)^declare (?:const|function|namespace) (\w+)`)
	for _, m := range top.FindAllStringSubmatch(src, -1) {
		out["global"] = append(out["global"], m[1])
	}
	block := func(start string) string {
		i := strings.Index(src, start)
		require.GreaterOrEqual(t, i, 0, "genehost.d.ts has no %q", start)
		indent := start[:len(start)-len(strings.TrimLeft(start, " "))]
		j := strings.Index(src[i:], "\n"+indent+"}")
		require.GreaterOrEqual(t, j, 0, "no end of %q", start)
		return src[i : i+j]
	}
	member := regexp.MustCompile(`(?m)^  (?:const|class|function) (\w+)`)
	for _, ns := range []string{"gene", "genehost"} {
		for _, m := range member.FindAllStringSubmatch(block("declare namespace "+ns+" {"), -1) {
			if !slices.Contains(out[ns], m[1]) {
				out[ns] = append(out[ns], m[1])
			}
		}
	}
	field := regexp.MustCompile(`(?m)^    (?:readonly )?(\w+)[?]?[(:]`)
	for key, start := range map[string]string{"kv": "  const kv: {", "link": "  interface Link {"} {
		for _, m := range field.FindAllStringSubmatch(block(start), -1) {
			out[key] = append(out[key], m[1])
		}
	}
	return out
}

// TestDateInNode: a Date inside a node's props and body is sent as a
// date-time, which is why genehost.d.ts lets new Gene take GeneInput.
func TestDateInNode(t *testing.T) {
	dir := t.TempDir()
	code := `module.exports = { values(link) { link.send(new Gene(gene.sym('tick'), { at: new Date(0) }, [new Date(1000)])); } };`
	rt := jsrt.New()
	defer rt.Close(context.Background())
	m, err := rt.Compile(t.Context(), &plugin.Source{Name: "d", Dir: dir, Entry: "handler.js", Code: []byte(code)})
	require.NoError(t, err)
	h := plugintest.New(t, plugin.Grants{})
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	defer in.Close(context.Background())
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "d", Direction: proto.DirSendRecv}))
	_, err = in.Receive(t.Context(), 1, parse(t, `1`))
	require.NoError(t, err)
	assert.Equal(t, []string{`(tick ^at 1970-01-01T00:00:00Z 1970-01-01T00:00:01Z)`}, texts(h.Sent(1)))
}
