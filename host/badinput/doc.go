// Package badinput holds the bad-input catalogue (issue 8): one
// table-driven suite over the codec, frames, the handshake, link opening,
// directions, credit, manifests, plugin configs and modules. Each case
// asserts the exact error kind and that only the offending link,
// transport or plugin is affected while the others keep flowing values.
// The package has no code of its own; its tests are the catalogue.
package badinput
