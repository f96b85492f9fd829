// Package e2e is the end-to-end harness that tests/ and examples/ share:
// building genehost and other programs of the repository, starting
// 'genehost serve' and reading the addresses it listens on, stopping it,
// running a program (daemon.go); temporary directories short enough for
// Unix socket paths, copying plugin trees, and a buffer that a daemon's
// output goroutine and the test read together.
package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// ShortDir is a temporary directory with a short path (Unix socket paths
// are limited to about 100 bytes), removed when t ends.
func ShortDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "gh")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// CopyTree copies the files below src to dst, leaving out those for which
// skip (when not nil) returns true; rel is the path below src.
func CopyTree(t testing.TB, src, dst string, skip func(rel string, d fs.DirEntry) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && skip != nil && skip(rel, d) {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	require.NoError(t, err)
}

// SyncBuffer is a bytes.Buffer safe for one writer goroutine and readers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Len is the number of bytes written so far.
func (s *SyncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Reap waits for the started cmd in the background: it sets *err to Wait's
// result, then closes exited. At cleanup cmd is killed if still running,
// and waited for.
func Reap(t testing.TB, cmd *exec.Cmd, exited chan struct{}, err *error) {
	go func() {
		*err = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
}
