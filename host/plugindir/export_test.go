package plugindir

// Watching is closed once Run watches the directory.
func (d *Dir) Watching() <-chan struct{} { return d.watching }
