// Package ui is the manifest explorer of genehost (genehost serve --ui
// ADDR): an http.Handler that serves a web page, embedded with go:embed
// and working offline (plain HTML, CSS and JavaScript, no CDN), on which a
// person reads and tries the interfaces of a running host the way Swagger
// UI shows a REST API.
//
// The page lists every interface with its version, direction and health,
// and for one interface renders its manifest: purpose, direction, each
// message with its schema as readable types and its examples, requests
// with their replies (^replies), control operations with their arguments
// and results, and flow settings; it links to the Gene manifest and the
// AsyncAPI 3 document (host.AsyncAPI). A try-it console opens a data link
// to the interface over a WebSocket and sends values typed as Gene text or
// as JSON (the JSON view of gene/JSON.md), showing what arrives with
// timestamps; a control panel runs control operations; live stats (the
// interface's stats and $sys stats) are drawn as small inline SVG charts;
// plugin status shows load and reload errors.
//
// The explorer is a client of the host, as host/httpgw is: it dials the
// host's address with host/client on one shared connection and opens a
// control link per request and a data link per console. It holds no
// secret: an interface that needs a token gets the one the person types,
// sent by the page in the X-Genehost-Token header (or the console's open
// message) and passed on as ^token in the link's open metadata, so the
// host's own token rules decide.
//
// # HTTP API
//
// The page uses these routes; they are plain JSON for scripts too:
//
//	GET  /api/interfaces                    $sys interfaces (list of {name version direction description health hash reason})
//	GET  /api/sys/stats                     $sys stats
//	GET  /api/iface/NAME                    the manifest as the page renders it (View)
//	GET  /api/iface/NAME/stats              the interface's health and stats
//	POST /api/iface/NAME/control            {"op":"count","arg":"...","format":"gene"|"json"} runs a control operation
//	GET  /api/iface/NAME/manifest.gene      the served manifest, Gene text (a download)
//	GET  /api/iface/NAME/asyncapi.json      the AsyncAPI 3 document (a download)
//	GET  /api/iface/NAME/link               WebSocket: the try-it console's data link
//
// Listening follows the host's exposure rule through httpgw.Listen: plain
// HTTP only on a loopback address unless allowed, HTTPS anywhere.
package ui
