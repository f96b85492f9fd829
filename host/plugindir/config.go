package plugindir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/proto"
)

// ConfigFile is the name of a plugin's config inside its folder.
const ConfigFile = "plugin.gene"

// Runtime names a plugin config may give in ^runtime.
const (
	RuntimeJS   = "js"
	RuntimeWasm = "wasm"
	RuntimeGo   = "go"
)

// Instances is a plugin's instance model.
type Instances uint8

const (
	// PerLink gives every data link its own instance (stateful handlers).
	PerLink Instances = iota
	// Pool shares a fixed pool of instances between all links (stateless
	// handlers); a link's values go, in order, to whichever is free.
	Pool
)

func (i Instances) String() string {
	if i == Pool {
		return "pool"
	}
	return "per-link"
}

// Config is a plugin folder's plugin.gene, read and checked: the manifest
// plus how to run the plugin.
type Config struct {
	// Name is the interface name: the folder name.
	Name string
	// Dir is the plugin folder; File is its plugin.gene.
	Dir, File string
	Manifest  *host.Manifest
	// Runtime is "js", "wasm" or "go".
	Runtime string
	// Entry is the file the runtime loads, relative to Dir: handler.js, a
	// .wasm module; "" for Go source (the folder is built).
	Entry     string
	Instances Instances
	// PoolSize is the number of instances of a Pool plugin (default
	// GOMAXPROCS).
	PoolSize int
	Grants   plugin.Grants
	Limits   plugin.Limits
	// StreamAck, StreamPublish and StreamBroadcast are the heads of the
	// stream requests the host answers itself (^streams {^ack "ack"
	// ^publish "publish" ^broadcast "broadcast"}; "" when not declared):
	// see streamBatch in streams.go.
	StreamAck, StreamPublish, StreamBroadcast string
	// Isolation is where the plugin's code runs: IsolationProcess (in
	// worker processes the host supervises) or IsolationNone (inside the
	// host, for trusted code). The default is "process" for JavaScript and
	// "none" for WebAssembly (wazero bounds a guest's memory and traps its
	// stack overflow itself).
	Isolation string
}

// Isolation modes a plugin config may give in ^isolation.
const (
	IsolationProcess = "process"
	IsolationNone    = "none"
)

// configKeys are the keys plugin.gene may hold besides the manifest's.
var configKeys = []string{"runtime", "entry", "instances", "pool", "grants", "limits", "isolation", "streams"}

type grantsDoc struct {
	KV      bool       `gene:"kv"`
	Streams bool       `gene:"streams"`
	Timers  bool       `gene:"timers"`
	Clock   bool       `gene:"clock"`
	Env     gene.Props `gene:"env"`
	Dirs    gene.Props `gene:"dirs"`
}

type limitsDoc struct {
	MemoryMB      int64 `gene:"memory-mb"`
	MemoryPages   int64 `gene:"memory-pages"`
	CallTimeoutMS int64 `gene:"call-timeout-ms"`
	MaxInputBytes int64 `gene:"max-input-bytes"`
}

// ConfigError is a plugin config that cannot be used. It names the file,
// the place inside it (a line:col from the Gene reader, or a key path such
// as ^grants/^kv) and what is wrong.
type ConfigError struct {
	File string // the config file, or the plugin folder when it has none
	// Line and Col locate a syntax error (1-based); 0 when unknown.
	Line, Col int
	Path      string // key path inside the config, or ""
	Msg       string
	Err       error // the cause, if any
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is makes every ConfigError match ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// ReadConfig reads and checks the plugin folder dir: its plugin.gene (the
// manifest keys of host.ParseManifest plus the keys of the "Plugin format"
// section of plugins/README.md) and the code it names. Errors are a
// *ConfigError.
func ReadConfig(dir string) (*Config, error) {
	file := filepath.Join(dir, ConfigFile)
	name := filepath.Base(dir)
	fail := func(path, format string, args ...any) (*Config, error) {
		return nil, &ConfigError{File: file, Path: path, Msg: fmt.Sprintf(format, args...)}
	}
	data, err := ReadInFolder(dir, ConfigFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fail("", "missing: every plugin folder holds a %s (see the plugin format in plugins/README.md)", ConfigFile)
		}
		return nil, &ConfigError{File: file, Msg: err.Error(), Err: err}
	}
	v, err := gene.ParseWith(data, gene.ReadOptions{Source: file})
	if err != nil {
		ce := &ConfigError{File: file, Msg: err.Error(), Err: err}
		var se *gene.SyntaxError
		if errors.As(err, &se) {
			ce.Line, ce.Col, ce.Msg = se.Line, se.Col, se.Msg
		}
		return nil, ce
	}
	if v.Kind() != gene.KindProps {
		return fail("", "want one prop map {^name ... ^direction ...}, got %s", v.Kind())
	}
	props := v.Props()
	var manifestProps gene.Props
	c := &Config{Name: name, Dir: dir, File: file}
	for _, p := range props {
		switch {
		case slices.Contains(host.ManifestKeys, p.Key):
			manifestProps = append(manifestProps, p)
		case slices.Contains(configKeys, p.Key):
		default:
			return fail("^"+p.Key, "unknown key (a plugin config holds the manifest keys ^%s and ^%s)",
				strings.Join(host.ManifestKeys, " ^"), strings.Join(configKeys, " ^"))
		}
	}
	if n, ok := props.Get("name"); ok {
		if n.Kind() != gene.KindString && n.Kind() != gene.KindSymbol || n.Str() != name {
			return fail("^name", "%s does not match the folder name %q (leave ^name out to use the folder name)", gene.Format(n), name)
		}
	} else {
		manifestProps = append(gene.Props{{Key: "name", Value: gene.String(name)}}, manifestProps...)
	}
	if c.Manifest, err = host.ParseManifest(gene.PropMap(manifestProps...)); err != nil {
		return nil, &ConfigError{File: file, Msg: err.Error(), Err: err}
	}

	str := func(key string) (string, bool, error) {
		x, ok := props.Get(key)
		if !ok {
			return "", false, nil
		}
		if x.Kind() != gene.KindString {
			return "", true, &ConfigError{File: file, Path: "^" + key, Msg: fmt.Sprintf("want a string, got %s", x.Kind())}
		}
		return x.Str(), true, nil
	}
	rt, hasRT, err := str("runtime")
	if err != nil {
		return nil, err
	}
	entry, hasEntry, err := str("entry")
	if err != nil {
		return nil, err
	}
	if hasEntry && (entry == "" || filepath.IsAbs(entry) || strings.Contains(filepath.ToSlash(entry), "/")) {
		return fail("^entry", "%q: want a file name inside the plugin folder", entry)
	}
	if hasRT && rt != RuntimeJS && rt != RuntimeWasm && rt != RuntimeGo {
		return fail("^runtime", `%q: want "js", "wasm" or "go"`, rt)
	}
	if err := c.findCode(rt, entry, hasEntry); err != nil {
		return nil, err
	}

	inst, _, err := str("instances")
	if err != nil {
		return nil, err
	}
	switch inst {
	case "", "per-link":
		c.Instances = PerLink
	case "pool":
		c.Instances = Pool
	default:
		return fail("^instances", `%q: want "per-link" or "pool"`, inst)
	}
	if p, ok := props.Get("pool"); ok {
		n, isInt := p.AsInt()
		if !isInt || n < 1 || n > 4096 {
			return fail("^pool", "want an integer from 1 to 4096, got %s", gene.Format(p))
		}
		if c.Instances != Pool {
			return fail("^pool", `is only for ^instances "pool"`)
		}
		c.PoolSize = int(n)
	}
	if c.Instances == Pool && c.PoolSize == 0 {
		c.PoolSize = runtime.GOMAXPROCS(0)
	}
	iso, hasIso, err := str("isolation")
	if err != nil {
		return nil, err
	}
	switch {
	case !hasIso && c.Runtime == RuntimeJS:
		c.Isolation = IsolationProcess
	case !hasIso:
		c.Isolation = IsolationNone
	case iso == IsolationProcess || iso == IsolationNone:
		c.Isolation = iso
	default:
		return fail("^isolation", `%q: want "process" (worker processes the host supervises) or "none" (inside the host, for trusted code)`, iso)
	}

	if g, ok := props.Get("grants"); ok {
		var d grantsDoc
		if g.Kind() != gene.KindProps {
			return fail("^grants", "want a prop map {^kv true ...}, got %s", g.Kind())
		}
		if err := gene.UnmarshalWith(g, &d, gene.UnmarshalOptions{DisallowUnknown: true}); err != nil {
			return nil, &ConfigError{File: file, Path: "^grants", Msg: err.Error() + " (known grants: ^kv ^streams ^timers ^clock ^env ^dirs)", Err: err}
		}
		c.Grants = plugin.Grants{KV: d.KV, Streams: d.Streams, Timers: d.Timers, Clock: d.Clock}
		if len(d.Env) > 0 {
			c.Grants.Env = map[string]string{}
			for _, p := range d.Env {
				if p.Value.Kind() != gene.KindString {
					return fail("^grants/^env/^"+p.Key, "want a string, got %s", p.Value.Kind())
				}
				c.Grants.Env[p.Key] = p.Value.Str()
			}
		}
		if len(d.Dirs) > 0 {
			c.Grants.Dirs = map[string]string{}
			for _, p := range d.Dirs {
				if p.Value.Kind() != gene.KindString {
					return fail("^grants/^dirs/^"+p.Key, "want a host directory as a string, got %s", p.Value.Kind())
				}
				if !strings.HasPrefix(p.Key, "/") {
					return fail("^grants/^dirs/^"+p.Key, "the guest path must be absolute (^/data)")
				}
				hostDir := p.Value.Str()
				if !filepath.IsAbs(hostDir) {
					hostDir = filepath.Join(dir, hostDir)
				}
				if fi, err := os.Stat(hostDir); err != nil || !fi.IsDir() {
					return fail("^grants/^dirs/^"+p.Key, "%q is not a directory", hostDir)
				}
				c.Grants.Dirs[p.Key] = hostDir
			}
		}
	}
	if l, ok := props.Get("limits"); ok {
		var d limitsDoc
		if l.Kind() != gene.KindProps {
			return fail("^limits", "want a prop map {^memory-pages 256 ...}, got %s", l.Kind())
		}
		if err := gene.UnmarshalWith(l, &d, gene.UnmarshalOptions{DisallowUnknown: true}); err != nil {
			return nil, &ConfigError{File: file, Path: "^limits", Msg: err.Error() + " (known limits: ^memory-mb ^memory-pages ^call-timeout-ms ^max-input-bytes)", Err: err}
		}
		for _, x := range []struct {
			key    string
			v, max int64
		}{{"memory-mb", d.MemoryMB, 65536}, {"memory-pages", d.MemoryPages, 65536}, {"call-timeout-ms", d.CallTimeoutMS, 3600_000}, {"max-input-bytes", d.MaxInputBytes, 1 << 30}} {
			if x.v < 0 || x.v > x.max {
				return fail("^limits/^"+x.key, "want 0 (the default) to %d, got %d", x.max, x.v)
			}
		}
		if d.MemoryMB > 0 && d.MemoryPages > 0 {
			return fail("^limits", "give ^memory-mb or ^memory-pages, not both (^memory-pages is the older spelling of a Wasm guest's ceiling)")
		}
		c.Limits = plugin.Limits{
			MemoryMB:      int(d.MemoryMB),
			MemoryPages:   uint32(d.MemoryPages),
			CallTimeout:   time.Duration(d.CallTimeoutMS) * time.Millisecond,
			MaxInputBytes: int(d.MaxInputBytes),
		}
	}
	if st, ok := props.Get("streams"); ok {
		var d struct {
			Ack       string `gene:"ack"`
			Publish   string `gene:"publish"`
			Broadcast string `gene:"broadcast"`
		}
		if st.Kind() != gene.KindProps {
			return fail("^streams", "want a prop map {^ack \"ack\"}, got %s", st.Kind())
		}
		if err := gene.UnmarshalWith(st, &d, gene.UnmarshalOptions{DisallowUnknown: true}); err != nil {
			return nil, &ConfigError{File: file, Path: "^streams", Msg: err.Error() + " (known keys: ^ack, ^publish, ^broadcast)", Err: err}
		}
		if !c.Grants.Streams {
			return fail("^streams", "the host answers stream requests only for a plugin granted streams (^grants {^streams true})")
		}
		seen := map[string]string{}
		for _, r := range []struct{ key, name string }{{"ack", d.Ack}, {"publish", d.Publish}, {"broadcast", d.Broadcast}} {
			if r.name == "" {
				continue
			}
			if !slices.ContainsFunc(c.Manifest.Messages, func(m host.Message) bool { return m.Name == r.name && m.From == proto.DirRecv }) {
				return fail("^streams/^"+r.key, "%q is not a message from the client in ^messages", r.name)
			}
			if other, ok := seen[r.name]; ok {
				return fail("^streams/^"+r.key, "%q is already ^%s", r.name, other)
			}
			seen[r.name] = r.key
		}
		c.StreamAck, c.StreamPublish, c.StreamBroadcast = d.Ack, d.Publish, d.Broadcast
	}
	if err := c.checkPoolMemory(); err != nil {
		return nil, err
	}
	return c, nil
}

// MaxPoolMemoryMB bounds the memory one plugin's instances may be granted
// together: ^pool times each instance's ceiling (a Wasm guest's linear
// memory; a JavaScript instance's ^memory-mb when it runs in the host). A
// worker process is one ceiling for all its instances, so a pool of
// isolated JavaScript counts once. 8 GiB: a third of a 24 GiB machine,
// with room for the host and other plugins.
const MaxPoolMemoryMB = 8 << 10

// checkPoolMemory refuses a pool whose instances could together ask for
// more than MaxPoolMemoryMB (^pool 4096 of a Go guest once asked for
// about 17 GB).
func (c *Config) checkPoolMemory() error {
	if c.Instances != Pool {
		return nil
	}
	l := c.Limits.WithDefaults()
	per, what := int64(l.MemoryPages)*64<<10>>20, fmt.Sprintf("^memory-pages %d", l.MemoryPages)
	switch {
	case c.Runtime == RuntimeJS && c.Isolation == IsolationProcess:
		return nil
	case c.Runtime == RuntimeJS:
		per, what = int64(l.MemoryMB), fmt.Sprintf("^memory-mb %d", l.MemoryMB)
	}
	if total := int64(c.PoolSize) * per; total > MaxPoolMemoryMB {
		return &ConfigError{File: c.File, Path: "^pool", Msg: fmt.Sprintf(
			"%d instances of up to %d MiB each (^limits {%s}) may take %d MiB, over the %d MiB a plugin's pool may take; lower ^pool or the memory limit",
			c.PoolSize, per, what, total, MaxPoolMemoryMB)}
	}
	return nil
}

// findCode settles Runtime and Entry from the config and the files in the
// folder.
func (c *Config) findCode(rt, entry string, hasEntry bool) error {
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return &ConfigError{File: c.Dir, Msg: err.Error(), Err: err}
	}
	var js, wasm, gosrc []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		switch {
		case n == "handler.js" || n == "handler.ts":
			js = append(js, n)
		case strings.HasSuffix(n, ".wasm"):
			wasm = append(wasm, n)
		case strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go"):
			gosrc = append(gosrc, n)
		}
	}
	sort.Strings(wasm)
	fail := func(format string, args ...any) error {
		return &ConfigError{File: c.File, Path: "^runtime", Msg: fmt.Sprintf(format, args...)}
	}
	if rt == "" {
		switch {
		case hasEntry && isJSEntry(entry):
			rt = RuntimeJS
		case hasEntry && strings.HasSuffix(entry, ".wasm"):
			rt = RuntimeWasm
		case len(js) > 0:
			rt = RuntimeJS
		case len(wasm) == 1:
			rt = RuntimeWasm
		case len(wasm) > 1:
			return fail("cannot tell which module to load: %s (set ^entry)", strings.Join(wasm, ", "))
		case len(gosrc) > 0:
			rt = RuntimeGo
		default:
			return fail("no handler.js, .wasm module or Go source in %s (or handler.ts)", c.Dir)
		}
	}
	c.Runtime = rt
	switch rt {
	case RuntimeJS:
		if !hasEntry {
			entry = "handler.js"
			if !fileExists(c.Dir, entry) && fileExists(c.Dir, "handler.ts") {
				entry = "handler.ts"
			}
		}
	case RuntimeWasm:
		if !hasEntry {
			if len(wasm) != 1 {
				return fail(`"wasm" wants exactly one .wasm module in the folder or an ^entry, found %d`, len(wasm))
			}
			entry = wasm[0]
		}
	case RuntimeGo:
		if hasEntry {
			return &ConfigError{File: c.File, Path: "^entry", Msg: `a "go" plugin is built from the folder's Go source; leave ^entry out`}
		}
		if len(gosrc) == 0 {
			return fail(`"go" wants Go source (*.go) in %s`, c.Dir)
		}
		// The build reads every .go file of the folder (tests too), go.mod
		// and go.sum.
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || !(strings.HasSuffix(n, ".go") || n == "go.mod" || n == "go.sum") {
				continue
			}
			if err := CheckInFolder(c.Dir, n); err != nil {
				return &ConfigError{File: c.File, Path: "^runtime", Msg: err.Error(), Err: err}
			}
		}
		return nil
	}
	if err := CheckInFolder(c.Dir, entry); err != nil {
		if errors.Is(err, ErrOutsideFolder) {
			return &ConfigError{File: c.File, Path: "^entry", Msg: err.Error(), Err: err}
		}
		return &ConfigError{File: c.File, Path: "^entry", Msg: fmt.Sprintf("%q: no such file in %s", entry, c.Dir)}
	}
	c.Entry = entry
	return nil
}

// ErrOutsideFolder matches the error of a plugin file that resolves, after
// symlinks, outside its plugin folder.
var ErrOutsideFolder = errors.New("outside the plugin folder")

// CheckInFolder checks that name, a file of the plugin folder dir, is a
// regular file that resolves inside dir after symlinks (a symlink to a
// file of the folder is fine; one to /etc/shadow is not). The error names
// the path and, for a symlink, where it points, and matches
// ErrOutsideFolder when the file leaves the folder.
func CheckInFolder(dir, name string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	fi, err := root.Stat(name)
	if err != nil {
		return outsideErr(dir, name, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", filepath.Join(dir, name))
	}
	return nil
}

// ReadInFolder reads name, a file of the plugin folder dir, following
// symlinks only while they stay inside dir (os.Root), so a plugin's code
// or config cannot be a link to a host file. Errors are as CheckInFolder's.
func ReadInFolder(dir, name string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return nil, outsideErr(dir, name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", filepath.Join(dir, name))
	}
	return io.ReadAll(f)
}

// outsideErr rewrites os.Root's refusal of a path that escapes dir ("path
// escapes from parent") as an error naming the path and its target, and
// matching ErrOutsideFolder; other errors pass through.
func outsideErr(dir, name string, err error) error {
	if err == nil || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "escapes") {
		return err
	}
	path := filepath.Join(dir, name)
	target, rerr := filepath.EvalSymlinks(path)
	if rerr != nil {
		target, _ = os.Readlink(path)
	}
	return fmt.Errorf("%s resolves to %s, %w %s: a plugin's entry, config and source files must stay inside its folder",
		path, target, ErrOutsideFolder, dir)
}
