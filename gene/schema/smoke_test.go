package schema

import (
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	sym := gene.Symbol
	item := gene.PropMap(gene.Prop{Key: "name", Value: sym("string")})
	s := MustParse(gene.PropMap(gene.Prop{Key: "items", Value: gene.Gene(sym("list"), item)}), nil)
	good := gene.PropMap(gene.Prop{Key: "items", Value: gene.List(
		gene.PropMap(gene.Prop{Key: "name", Value: gene.String("a")}))})
	require.NoError(t, s.Validate(good))
	bad := gene.PropMap(gene.Prop{Key: "items", Value: gene.List(
		gene.PropMap(gene.Prop{Key: "name", Value: gene.String("a")}),
		gene.PropMap(gene.Prop{Key: "name", Value: gene.Int(3)}))})
	require.EqualError(t, s.Validate(bad), "schema: at ^items/[1]/^name: want string, got int 3")
	require.Equal(t, "(props ^items (list (props ^name string)))", s.String())
	allocs := testing.AllocsPerRun(100, func() { _ = s.Validate(good) })
	require.Zero(t, allocs)
}
