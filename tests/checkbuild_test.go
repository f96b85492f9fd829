package tests

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckBuildProgress: genehost check says on stderr that it builds a
// Go plugin its cache does not hold, then how long the build took (the
// lines serve logs); stdout has only the verdict, and a check whose build
// is cached prints nothing on stderr.
func TestCheckBuildProgress(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	r := gh(t, nil, "", "new", "go", "gx", "--dir", dir)
	require.Equal(t, 0, r.code, r.err)
	folder := filepath.Join(dir, "gx")

	r = gh(t, nil, "", "check", "--cache", cache, folder)
	require.Equal(t, 0, r.code, "stdout %s\nstderr %s", r.out, r.err)
	assert.Equal(t, folder+": the plugin loads\n", r.out)
	dirArg := regexp.QuoteMeta("dir=" + folder)
	assert.Regexp(t, `^\[INFO\]  genehost\.plugins: building Go plugin to WebAssembly \(.*\): `+dirArg+`\n`+
		`\[INFO\]  genehost\.plugins: built Go plugin: `+dirArg+` took=[0-9.]+[µm]?s\n$`, r.err)

	r = gh(t, nil, "", "check", "--cache", cache, folder)
	require.Equal(t, 0, r.code, "stdout %s\nstderr %s", r.out, r.err)
	assert.Equal(t, folder+": the plugin loads\n", r.out)
	assert.Empty(t, r.err, "a cached build says nothing")
}
