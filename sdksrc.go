package genehost

import "embed"

// JSDeclarations holds the TypeScript declarations of the JavaScript
// handler API (sdk/js/genehost.d.ts) and of genehost test's API
// (sdk/js/genehost-test.d.ts), which `genehost new js|ts` writes into a
// new plugin folder.
//
//go:embed sdk/js/genehost.d.ts sdk/js/genehost-test.d.ts
var JSDeclarations embed.FS
