package gene_test

import (
	"fmt"

	"github.com/genehost/genehost/gene"
)

// Request maps to a node: the head is the request's kind, the tagged
// fields are props, and the arguments are the body.
type Request struct {
	Kind    gene.Sym          `gene:",head"`
	ID      int               `gene:"id"`
	Path    string            `gene:"path"`
	Headers map[string]string `gene:"headers,omitempty"`
	Args    []int             `gene:",body"`
}

func ExampleMarshal() {
	v, err := gene.Marshal(Request{Kind: "request", ID: 42, Path: "/x", Args: []int{1, 2}})
	if err != nil {
		panic(err)
	}
	fmt.Println(gene.Format(v))

	var back Request
	if err := gene.Unmarshal(v, &back); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", back)
	// Output:
	// (request ^id 42 ^path "/x" 1 2)
	// {Kind:request ID:42 Path:/x Headers:map[] Args:[1 2]}
}

func ExampleUnmarshal_error() {
	// (request ^id 42 ^headers {^accept 1}): a header that is not a string.
	src := gene.NodeValue(&gene.Node{
		Head: gene.Symbol("request"), HasHead: true,
		Props: gene.Props{
			{Key: "id", Value: gene.Int(42)},
			{Key: "headers", Value: gene.PropMap(gene.Prop{Key: "accept", Value: gene.Int(1)})},
		},
	})
	var r Request
	fmt.Println(gene.Unmarshal(src, &r))
	// Output:
	// gene: cannot unmarshal int into Go struct field Request.headers (string) at .headers.accept: want string or symbol
}

func ExampleUnmarshal_any() {
	src := gene.List(gene.Int(1), gene.Symbol("two"), gene.PropMap(gene.Prop{Key: "three", Value: gene.Float(3)}))
	var x any
	if err := gene.Unmarshal(src, &x); err != nil {
		panic(err)
	}
	fmt.Printf("%#v\n", x)
	// Output:
	// []interface {}{1, "two", map[string]interface {}{"three":3}}
}
