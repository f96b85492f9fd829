// Package soak is the bounded soak test of issue 8 (soak_test.go): mixed
// load over the shipped plugins (echo, kv, queue) with hot reloads and
// client churn, for as long as GENEHOST_SOAK says (a Go duration, e.g.
// 60s). It reports values sent, received and lost (0 where delivery is
// lossless) and the host's peak memory. Without GENEHOST_SOAK it is
// skipped; `make soak` (part of `make test`) runs it for 60 seconds.
package soak
