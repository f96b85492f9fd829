// Package abi holds the constants and the guest-facing contract of the
// genehost WebAssembly plugin ABI (ABI.md at the repository root is the
// specification; this package is its machine-readable half). The host
// runtime (host/wasmrt) and the Go guest SDK (sdk/wasm/guest) both import
// it, so the two cannot drift.
//
// # What is here
//
//   - The version (Major, Minor) and the marker export name every plugin
//     carries (MarkerName, ParseMarker).
//   - The names and WebAssembly types of the exports a guest provides
//     (Exports) and of the imports the host provides in module "genehost"
//     (Imports).
//   - Status, the one append-only table of result codes, with an error for
//     each failure code.
//   - The layouts that are not plain Gene values: the link info prop map
//     given to gh_on_open (LinkInfo), the operation-and-argument pair given
//     to gh_on_control (AppendControl, DecodeControl), and the records
//     written by gh_kv_scan (AppendScanRecord, NextScanRecord).
//
// # Invariants
//
// Values cross the boundary in the binary Gene encoding (gene/BINARY.md),
// without the document header. Everything in this package is pure: no
// I/O, no globals that change. It imports only the gene package and the
// standard library, and builds for GOOS=wasip1.
package abi
