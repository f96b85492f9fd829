package watch

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// run starts a watcher on dir and returns a channel of batches.
func run(t *testing.T, dir string) <-chan []string {
	t.Helper()
	w, err := New(dir, 150*time.Millisecond) // wide enough for a loaded machine
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan []string, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.Run(ctx, func(names []string) { out <- names }, func(err error) { t.Log(err) })
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return out
}

func next(t *testing.T, ch <-chan []string) []string {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no change reported")
		return nil
	}
}

func quiet(t *testing.T, ch <-chan []string) {
	t.Helper()
	select {
	case b := <-ch:
		t.Fatalf("unexpected change %v", b)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestReportsChangedPluginOnce(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "echo"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "echo", "handler.js"), []byte("v1"), 0o644))
	ch := run(t, dir)

	// A burst of writes is one report.
	for i := range 5 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "echo", "handler.js"), []byte{byte(i)}, 0o644))
	}
	require.Equal(t, []string{"echo"}, next(t, ch))
	quiet(t, ch)
}

func TestEditorSaveByRename(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "kv"), 0o755))
	target := filepath.Join(dir, "kv", "handler.js")
	require.NoError(t, os.WriteFile(target, []byte("v1"), 0o644))
	ch := run(t, dir)

	tmp := filepath.Join(dir, "kv", ".handler.js.swp")
	require.NoError(t, os.WriteFile(tmp, []byte("v2"), 0o644))
	require.NoError(t, os.Rename(tmp, target))
	require.Equal(t, []string{"kv"}, next(t, ch))
}

func TestAddedAndRemovedPlugins(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "old"), 0o755))
	ch := run(t, dir)

	// A new plugin folder, then a file written inside it after creation.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "fresh", "src"), 0o755))
	require.Equal(t, []string{"fresh"}, next(t, ch))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fresh", "src", "main.go"), []byte("package main"), 0o644))
	require.Equal(t, []string{"fresh"}, next(t, ch), "nested directories of a new plugin are watched")

	require.NoError(t, os.RemoveAll(filepath.Join(dir, "old")))
	require.Equal(t, []string{"old"}, next(t, ch))
}

func TestSeparatePluginsBatchedTogether(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a", "b"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, p), 0o755))
	}
	ch := run(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b", "x"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "x"), nil, 0o644))
	require.Equal(t, []string{"a", "b"}, next(t, ch))
}

func TestHiddenEntriesIgnored(t *testing.T) {
	dir := t.TempDir()
	ch := run(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".cache"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes~"), nil, 0o644))
	quiet(t, ch)
}

func TestMissingDirectory(t *testing.T) {
	_, err := New(filepath.Join(t.TempDir(), "nope"), 0)
	require.ErrorContains(t, err, "nope")
}
