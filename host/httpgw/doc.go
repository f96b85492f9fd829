// Package httpgw is the HTTP gateway of genehost: an http.Handler that turns
// each HTTP request into a Gene value sent to an interface, and the value
// the interface sends back into the HTTP response, so that a plugin (a
// JavaScript handler, a Wasm module) serves real HTTP clients.
//
// # Values
//
// The values follow plugins/README.md, "HTTP gateway values". A request
// becomes
//
//	(request ^id 7 ^method "GET" ^path "/api/notes" ^query {^format "gene"}
//	         ^raw-query "format=gene" ^headers {^accept "*/*"} ^body ""
//	         ^host "127.0.0.1:8080" ^remote "127.0.0.1:50312")
//
// ^query maps each parameter to its value, or to a list of values when it
// is repeated (a name that cannot be a prop key is only in ^raw-query);
// ^headers maps each header name, in lower case, to its value (repeated
// headers joined with ", "; Host and hop-by-hop headers left out); ^body is
// a string when the body is valid UTF-8 and bytes otherwise.
//
// The interface answers on the same link with
//
//	(response ^id 7 ^status 200 ^headers {^content-type "text/plain"} ^body "hello")
//
// ^id is required; ^status (100 to 599) defaults to 200; ^headers values are
// strings or lists of strings (one header line each); ^body is a string or
// bytes. The gateway sets Content-Length, and Content-Type when the
// response has none (text/plain; charset=utf-8 for a string body,
// application/octet-stream for bytes); a HEAD response has no body. A
// response whose ^id matches no outstanding request is logged and dropped.
//
// # Errors
//
// No response within Config.Timeout: 504 Gateway Timeout. The interface is
// missing, refuses the link, resets it or ends it without a response, or
// the response is malformed (not (response ...), no ^id, a status out of
// range, headers or body of the wrong kind): 502 Bad Gateway, with a
// plain-text body saying what happened. A request body larger than
// Config.MaxBodyBytes: 413, before the interface sees it.
//
// # Links
//
// Each HTTP request gets a send+recv data link of its own on one shared
// connection to the host. A link costs one round trip to open; in return a
// request always reaches the newest version of a hot-reloaded plugin, and
// a handler that fails one request cannot disturb another. The connection
// is redialled when it breaks.
//
// # Listening
//
// Listen opens the socket a Gateway is served on (with net/http's Server)
// under the host's exposure rule (host.ListenerConfig): plain HTTP only on
// a loopback address (a loopback IP or "localhost"; 0.0.0.0, ::, an empty
// host, a name, every other spelling counts as exposed) unless
// ListenConfig.AllowInsecure; with a certificate and key, HTTPS on any
// address, with the host's TLS settings and an optional client CA.
package httpgw
