package gene_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/genehost/genehost/gene"
)

func ExampleDecoder() {
	in := strings.NewReader("(greet ^name \"Ada\")\n[1 2\n 3] # a comment\n42")
	d := gene.NewDecoder(in, gene.ReadOptions{Source: "stdin"})
	for {
		v, err := d.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(v)
	}
	// Output:
	// (greet ^name "Ada")
	// [1 2 3]
	// 42
}

func ExampleDecoder_error() {
	d := gene.NewDecoder(strings.NewReader("1\n(a\n  [b)"), gene.ReadOptions{Source: "stdin"})
	for {
		v, err := d.Decode()
		if err != nil {
			fmt.Println(err)
			fmt.Println("incomplete:", errors.Is(err, gene.ErrIncomplete))
			return
		}
		fmt.Println(v)
	}
	// Output:
	// 1
	// stdin:3:5: unexpected ')' while reading '[' opened at 3:3; expected ']'
	// incomplete: false
}

func ExampleFeeder() {
	f := gene.NewFeeder(gene.ReadOptions{})
	for _, chunk := range []string{"(ping ^id", " 1)\n(pi", "ng ^id 2)", "\n"} {
		f.Feed([]byte(chunk))
		for {
			v, ok, err := f.Next()
			if err != nil {
				fmt.Println(err)
				return
			}
			if !ok {
				fmt.Printf("after %q: need more bytes\n", chunk)
				break
			}
			fmt.Println(v)
		}
	}
	f.End()
	if _, _, err := f.Next(); err == io.EOF {
		fmt.Println("end")
	}
	// Output:
	// after "(ping ^id": need more bytes
	// (ping ^id 1)
	// after " 1)\n(pi": need more bytes
	// after "ng ^id 2)": need more bytes
	// (ping ^id 2)
	// after "\n": need more bytes
	// end
}
