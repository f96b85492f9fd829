// Package tests holds the end-to-end tests: they build the genehost
// binary, start `genehost serve` on temporary sockets and data
// directories, and drive it only through the CLI, the Go client and an
// HTTP client (the README tour included). tests/soak is the bounded soak
// test; tests/bench (its own module) the benchmarks against gRPC and NATS.
package tests
