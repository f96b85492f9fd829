package plugindir

import "errors"

// Sentinel errors.
var (
	// ErrConfig matches every *ConfigError: a plugin folder whose
	// plugin.gene cannot be used.
	ErrConfig = errors.New("plugindir: invalid plugin config")
	// ErrFailed: the interface crashed too often within the crash window
	// and refuses new links until the window passes or it is reloaded.
	ErrFailed = errors.New("plugindir: interface failed")
	// ErrClosed: the Dir (or the plugin version) is closed.
	ErrClosed = errors.New("plugindir: closed")
	// ErrBuild matches a Go plugin that does not build.
	ErrBuild = errors.New("plugindir: go build failed")
)
