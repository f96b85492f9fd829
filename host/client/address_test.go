package client

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolveAddress(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/7")
	for in, want := range map[string]string{
		"-":                  "unix:///run/user/7/genehost/genehost.sock",
		"tcp://127.0.0.1:1":  "tcp://127.0.0.1:1",
		"unix:///tmp/x.sock": "unix:///tmp/x.sock",
		"/tmp/y.sock":        "unix:///tmp/y.sock",
	} {
		got, err := ResolveAddress(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	wd, _ := os.Getwd()
	got, err := ResolveAddress("./z.sock")
	require.NoError(t, err)
	assert.Equal(t, "unix://"+filepath.Join(wd, "z.sock"), got)
	for _, bad := range []string{"", "localhost:80", "genehost.sock"} {
		_, err := ResolveAddress(bad)
		assert.Error(t, err, bad)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	assert.Equal(t, filepath.Join(os.TempDir(), "genehost-"+itoa(os.Getuid()), "genehost.sock"), DefaultSocket())
}

func itoa(i int) string { return fmt.Sprint(i) }
