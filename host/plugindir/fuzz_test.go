package plugindir_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/genehost/genehost/host/plugindir"
)

// FuzzReadConfig feeds arbitrary plugin.gene files to ReadConfig: it
// never panics, and every refusal is a *ConfigError naming the file.
func FuzzReadConfig(f *testing.F) {
	for _, s := range []string{
		`{^direction "send+recv"}`,
		`{^name "p" ^version "1" ^direction "send" ^instances "pool" ^pool 2}`,
		`{^direction "recv" ^grants {^kv true ^timers true ^env {^A "b"} ^dirs {^/d "."}} ^limits {^memory-pages 1}}`,
		`{^direction "send+recv" ^messages {^m {^from "client" ^schema (gene ^head m)}} ^validate true}`,
		`{^direction "send+recv" ^control {^op {^args int ^result string}}}`,
		`{^direction`, `[]`, `{^runtime 1}`, "",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	p := filepath.Join(dir, "p")
	if err := os.MkdirAll(p, 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "handler.js"), []byte("module.exports = {}"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(p, plugindir.ConfigFile)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := plugindir.ReadConfig(p)
		if err != nil {
			var ce *plugindir.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, plugindir.ErrConfig) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			if ce.File != file {
				t.Fatalf("error names %q, want %q: %v", ce.File, file, err)
			}
			return
		}
		if c.Manifest == nil || c.Manifest.Name != "p" || c.Runtime != "js" {
			t.Fatalf("accepted config is incomplete: %+v", c)
		}
	})
}
