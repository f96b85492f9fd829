// Package httpgw is the HTTP gateway of genehost: an http.Handler that turns
// each HTTP request into a Gene value sent to an interface, and the value
// the interface sends back into the HTTP response, so that a plugin (a
// JavaScript handler, a Wasm module) serves real HTTP clients.
//
// # Values
//
// A request becomes
//
//	(request ^id 7 ^method "GET" ^path "/hello" ^query {^name "Ada"}
//	         ^headers {^accept "*/*" ^user-agent "curl/8.5.0"} ^body ""
//	         ^remote "127.0.0.1:50412" ^host "127.0.0.1:8080")
//
// ^id numbers the requests of one gateway; ^query maps each parameter to
// its value, or to a list of values when it is repeated; ^headers maps each
// header name, in lower case, to its value (repeated headers joined with
// ", "); ^body is a string when the body is valid UTF-8 and a bytes value
// otherwise (empty: ""). Header and parameter names are prop keys as sent.
//
// The interface answers on the same link with
//
//	(response ^id 7 ^status 200 ^headers {^content-type "text/plain"} ^body "hello")
//
// ^status defaults to 200; ^headers values are strings (or lists of strings
// for repeated headers); ^body is a string or bytes written as is, or any
// other value, which is written as JSON (gene/JSON.md) with Content-Type
// application/json unless the response sets one. ^id may be left out.
//
// # Errors
//
// No response within Config.Timeout: 504 Gateway Timeout. The interface is
// missing, refuses the link, resets it, ends it without a response, or
// answers with something that is not a (response ...) node: 502 Bad
// Gateway, with a plain-text body saying what happened. A request body
// larger than Config.MaxBodyBytes: 413.
//
// # Links
//
// Each HTTP request gets a send+recv data link of its own on one shared
// connection to the host. A link costs one round trip to open; in return a
// request always reaches the newest version of a hot-reloaded plugin, and
// a handler that fails one request cannot disturb another. The connection
// is redialled when it breaks.
package httpgw
