package logtext

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestCut(t *testing.T) {
	require.Equal(t, "short", Cut("short"))
	exact := strings.Repeat("x", Max)
	require.Equal(t, exact, Cut(exact))

	long := strings.Repeat("y", 50<<20)
	got := Cut(long)
	require.Equal(t, strings.Repeat("y", Max)+"... (52424704 bytes more)", got)

	// A cut never splits a character.
	multi := strings.Repeat("é", Max)
	got = Cut(multi)
	require.True(t, utf8.ValidString(got))
	require.LessOrEqual(t, len(got), Max+len("... (9999 bytes more)"))
	require.True(t, strings.HasSuffix(got, "... (4096 bytes more)"), got[len(got)-30:])

	require.Equal(t, "", Err(nil))
	require.Equal(t, strings.Repeat("z", Max)+"... (1 bytes more)", Err(errors.New(strings.Repeat("z", Max+1))))
}
