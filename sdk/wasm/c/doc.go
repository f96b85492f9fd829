// Package c holds the C SDK for genehost WebAssembly plugins: the
// single-header library genehost.h (ABI v1 of ABI.md: host imports, guest
// exports, the version marker, and readers and writers of the binary Gene
// encoding), the example plugins under examples/, and the guide README.md.
//
// The Go code here is only its test: it builds the examples and the
// fixtures under testdata/ with clang for wasm32-wasi and runs them
// through host/wasmrt against the behaviour suite every runtime passes
// (host/plugin/plugintest). Without clang and wasi-libc the tests skip,
// naming tools/wasi-toolchain.sh, which installs them.
package c
