// Package js holds the SDK for genehost's JavaScript handlers:
// genehost.d.ts, the TypeScript declarations of the handler API and of
// Gene values as JavaScript values, as host/jsrt implements them; the
// guide README.md; and example handlers under examples/.
//
// The Go code here is only its test. It runs the examples in host/jsrt,
// checks that the declarations name exactly the globals and members the
// runtime defines, and type-checks the examples and typecheck/*.js with
// tsc (typecheck.sh installs a pinned TypeScript from npm into
// node_modules; without npm the test skips, saying so).
package js
