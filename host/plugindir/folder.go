package plugindir

import (
	"context"
	"fmt"
	"path/filepath"
)

// OpenFolder is Open of one plugin folder (a folder holding plugin.gene)
// rather than of a whole plugin directory: opts.Dir is ignored, the
// folder's parent is watched by Run, and only the folder is loaded and
// reloaded. It is what genehost test and genehost dev run on a plugin
// folder.
func OpenFolder(ctx context.Context, folder string, opts Options) (*Dir, error) {
	abs, err := filepath.Abs(folder)
	if err != nil {
		return nil, fmt.Errorf("plugindir: %w", err)
	}
	opts.Dir, opts.only = filepath.Dir(abs), filepath.Base(abs)
	return Open(ctx, opts)
}
