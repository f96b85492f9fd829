// Package watch reports which entries of a plugin directory changed. It
// watches the directory and every sub-directory (a plugin folder may hold
// nested source), coalesces bursts of events per top-level entry (an
// editor's save is often write + rename + chmod), and hands each settled
// batch of names to a callback.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long a plugin must be quiet before it is reported.
const DefaultDebounce = 150 * time.Millisecond

// Watcher watches one plugin directory.
type Watcher struct {
	dir      string
	debounce time.Duration
	fs       *fsnotify.Watcher
}

// New starts watching dir. debounce 0 means DefaultDebounce. Run must be
// called to deliver changes, and stops the watcher when it returns.
func New(dir string, debounce time.Duration) (*Watcher, error) {
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &Watcher{dir: filepath.Clean(dir), debounce: debounce, fs: fw}
	if err := w.addTree(w.dir); err != nil {
		fw.Close()
		return nil, err
	}
	return w, nil
}

// addTree watches root and every directory below it. Hidden directories
// (".git", editor caches) are skipped.
func (w *Watcher) addTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != root && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return fmt.Errorf("watch %s: %w", path, err)
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.fs.Add(path); err != nil {
			return fmt.Errorf("watch %s: %w", path, err)
		}
		return nil
	})
}

// Run delivers batches of changed top-level entry names (sorted, each
// once) to changed, from this goroutine, until ctx is done. A name is
// delivered once it has been quiet for the debounce interval. Errors from
// the OS watcher go to onError (which may be nil) and do not stop Run.
func (w *Watcher) Run(ctx context.Context, changed func(names []string), onError func(error)) error {
	defer w.fs.Close()
	pending := map[string]time.Time{} // entry name -> last event time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.fs.Events:
			if !ok {
				return errors.New("watch: event stream closed")
			}
			name := w.entry(ev.Name)
			if name == "" {
				continue
			}
			if ev.Has(fsnotify.Create) {
				// A new directory (a new plugin, or a folder inside one) must
				// be watched too; files created inside it before the watch
				// was added are covered because the whole entry is reloaded.
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					if err := w.addTree(ev.Name); err != nil && onError != nil {
						onError(err)
					}
				}
			}
			pending[name] = time.Now()
			timer.Reset(w.debounce)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return errors.New("watch: error stream closed")
			}
			if onError != nil {
				onError(fmt.Errorf("watch %s: %w", w.dir, err))
			}
		case now := <-timer.C:
			var ready []string
			next := time.Duration(0)
			for name, last := range pending {
				if quiet := now.Sub(last); quiet >= w.debounce {
					ready = append(ready, name)
					delete(pending, name)
				} else if left := w.debounce - quiet; next == 0 || left < next {
					next = left
				}
			}
			if next > 0 {
				timer.Reset(next)
			}
			if len(ready) > 0 {
				sort.Strings(ready)
				changed(ready)
			}
		}
	}
}

// entry maps a path inside the directory to its top-level entry name, or
// "" for the directory itself and for hidden or editor-temporary names.
func (w *Watcher) entry(path string) string {
	rel, err := filepath.Rel(w.dir, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return ""
	}
	top, _, _ := strings.Cut(rel, string(filepath.Separator))
	if strings.HasPrefix(top, ".") || strings.HasSuffix(top, "~") {
		return ""
	}
	return top
}
