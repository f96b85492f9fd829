package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	require.NoError(t, os.WriteFile(file, []byte("  from-file\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	t.Setenv("GENEHOST_TEST_TOKEN", "from-env")
	t.Setenv("GENEHOST_TEST_EMPTY", "")

	for _, tc := range []struct {
		spec string
		want string
		src  secretSource
		err  string
	}{
		{spec: "@" + file, want: "from-file", src: secretFile},
		{spec: "env:GENEHOST_TEST_TOKEN", want: "from-env", src: secretEnv},
		{spec: "s3cret", want: "s3cret", src: secretLiteral},
		{spec: "@" + filepath.Join(dir, "missing"), err: "no such file"},
		{spec: "@" + empty, err: "is empty"},
		{spec: "env:GENEHOST_TEST_UNSET_VARIABLE", err: "GENEHOST_TEST_UNSET_VARIABLE is not set"},
		{spec: "env:GENEHOST_TEST_EMPTY", err: "GENEHOST_TEST_EMPTY is empty"},
		{spec: "env:", err: "needs a variable name"},
		{spec: "", err: "empty secret"},
	} {
		got, src, err := readSecret(tc.spec)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.spec)
			continue
		}
		require.NoError(t, err, tc.spec)
		assert.Equal(t, tc.want, got, tc.spec)
		assert.Equal(t, tc.src, src, tc.spec)
	}
}

// TestMetaFlags: --token from a file or the environment goes into ^token
// silently; a literal one, or ^token in --meta, warns naming the safe
// spellings; both at once is an error.
func TestMetaFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(file, []byte("s3cret\n"), 0o600))
	t.Setenv("GENEHOST_TEST_TOKEN", "s3cret")
	for _, tc := range []struct {
		meta, token string
		want        string
		warns       bool
		err         string
	}{
		{want: "{}"},
		{meta: `{^topic "t"}`, want: `{^topic "t"}`},
		{token: "@" + file, want: `{^token "s3cret"}`},
		{meta: `{^topic "t"}`, token: "env:GENEHOST_TEST_TOKEN", want: `{^topic "t" ^token "s3cret"}`},
		{token: "s3cret", want: `{^token "s3cret"}`, warns: true},
		{meta: `{^token "s3cret"}`, want: `{^token "s3cret"}`, warns: true},
		{meta: `{^token "a"}`, token: "@" + file, err: "give it once"},
		{token: "env:GENEHOST_TEST_UNSET_VARIABLE", err: "--token: environment variable"},
		{meta: `[1]`, err: "want a prop map"},
	} {
		name := fmt.Sprintf("meta=%s token=%s", tc.meta, tc.token)
		var stderr bytes.Buffer
		c := &cli{name: "call", stderr: &stderr}
		md, err := (&metaFlags{meta: tc.meta, token: tc.token}).props(c)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, name)
			continue
		}
		require.NoError(t, err, name)
		assert.Equal(t, tc.want, gene.Format(gene.PropMap(md...)), name)
		if tc.warns {
			assert.Contains(t, stderr.String(), "genehost call: warning: ", name)
			assert.Contains(t, stderr.String(), "every local user can read it", name)
			assert.Contains(t, stderr.String(), "--token @FILE or --token env:NAME", name)
		} else {
			assert.Empty(t, stderr.String(), name)
		}
	}
}

// TestServeTokenFlags: serve's --token takes IFACE=@FILE, IFACE=env:NAME and
// IFACE=SECRET, warning about the last only; the secrets protect their
// interfaces; a malformed flag does not echo its value.
func TestServeTokenFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	t.Setenv("GENEHOST_TEST_TOKEN", "from-env")
	var warnings []string
	warn := func(msg string, args ...any) { warnings = append(warnings, fmt.Sprint(append([]any{msg}, args...)...)) }
	a := accessFlags{tokens: listFlag{"kv=@" + file, "queue=env:GENEHOST_TEST_TOKEN", "echo=literal"}}
	auth, err := a.authorize(warn)
	require.NoError(t, err)
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], "the --token secret of echo is given literally")
	assert.Contains(t, warnings[0], "echo=@FILE or echo=env:NAME")
	tok := func(s string) gene.Props { return gene.Props{{Key: "token", Value: gene.String(s)}} }
	for iface, secret := range map[string]string{"kv": "from-file", "queue": "from-env", "echo": "literal"} {
		assert.NoError(t, auth(iface, proto.SubData, tok(secret)), iface)
		assert.Error(t, auth(iface, proto.SubData, tok("from-elsewhere")), iface)
	}
	assert.NoError(t, auth("web", proto.SubData, nil))

	for _, bad := range []string{"s3cret-without-iface", "=s3cret", "kv=", "kv=@/nonexistent", "kv=env:GENEHOST_TEST_UNSET_VARIABLE"} {
		_, err := (&accessFlags{tokens: listFlag{bad}}).authorize(warn)
		require.Error(t, err, bad)
		assert.NotContains(t, err.Error(), "s3cret", "the flag's value is not echoed")
	}
	_, err = (&accessFlags{tokens: listFlag{"kv=a", "kv=b"}}).authorize(warn)
	assert.ErrorContains(t, err, "given twice")
}
