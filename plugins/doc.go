// Package plugins holds the tests of the interfaces shipped with genehost:
// each folder here (echo, kv, queue, web) is a plugin that `genehost serve`
// loads (plugins/README.md describes the format and each plugin's values);
// the tests run every plugin through its real runtime and serve the whole
// directory through host/plugindir on a real socket.
package plugins
