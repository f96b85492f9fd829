// Package genehost carries, embedded, the Go sources a Wasm plugin written
// in Go is built from: the gene value packages, the ABI constants and the
// guest SDK. The plugin loader (host/plugindir) writes them out as a
// module and builds a user's Go plugin against them with a replace
// directive, so a plugin outside this repository builds without network
// access to a published genehost module, against exactly the sources of
// the running binary.
//
// Everything else of genehost lives in its sub-packages.
package genehost

import "embed"

// GuestSources holds the .go files of gene, gene/schema, abi and
// sdk/wasm/guest at their paths in the module (test files included; the
// loader skips them).
//
//go:embed gene/*.go gene/schema/*.go abi/*.go sdk/wasm/guest/*.go
var GuestSources embed.FS

// ModulePath is the module path of the embedded sources.
const ModulePath = "github.com/genehost/genehost"
