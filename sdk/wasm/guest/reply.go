package guest

import "github.com/genehost/genehost/gene"

// Error returns the standard error reply
//
//	(error ^code "CODE" ^message "MESSAGE" ^id ID)
//
// for answering one bad request while the link carries on. ^id is left out
// when id is void, which is what IDOf returns for a request without one,
// so Error(code, msg, IDOf(req)) echoes exactly what the client sent.
//
// Answer a bad request with an error value, not a returned error: an
// error returned from Handler.Values ends the link with HANDLER_ERROR
// (the instance is kept, with its other links).
func Error(code, message string, id gene.Value) gene.Value {
	props := make(gene.Props, 0, 3)
	props = append(props, gene.Prop{Key: "code", Value: gene.String(code)}, gene.Prop{Key: "message", Value: gene.String(message)})
	if id.Kind() != gene.KindVoid {
		props = append(props, gene.Prop{Key: "id", Value: id})
	}
	return gene.NodeValue(&gene.Node{Head: gene.Symbol("error"), HasHead: true, Props: props})
}

// IDOf returns the ^id prop of a request node, or void when it has none
// (or is not a node), for Error and other replies that carry the request's
// id back.
func IDOf(request gene.Value) gene.Value {
	if n := request.Node(); n != nil {
		if id, ok := n.Props.Get("id"); ok {
			return id
		}
	}
	return gene.Void()
}
