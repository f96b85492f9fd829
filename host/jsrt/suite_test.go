package jsrt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// fixture loads testdata/NAME/handler.js as a plugin source.
func fixture(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	return loadFixture(t, name, l, g)
}

func loadFixture(t testing.TB, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	require.NoError(t, err)
	code, err := os.ReadFile(filepath.Join(dir, "handler.js"))
	require.NoError(t, err)
	return &plugin.Source{Name: name, Dir: dir, Entry: "handler.js", Code: code, Hash: name, Limits: l, Grants: g}
}

func TestSuite(t *testing.T) {
	rt := New()
	t.Cleanup(func() { rt.Close(t.Context()) })
	plugintest.RunSuite(t, rt, fixture)
}

// TestSuiteKilledOnOverrun runs the suite with callbacks run on the
// caller's goroutine, as a worker process runs them: deadlines, context
// ends, panics and a hog still end a callback the same way.
func TestSuiteKilledOnOverrun(t *testing.T) {
	rt := NewWith(Config{KilledOnOverrun: true})
	t.Cleanup(func() { rt.Close(t.Context()) })
	plugintest.RunSuite(t, rt, func(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
		if name == "kv" || name == "kvatomic" {
			t.Skip("the store calls do not depend on where callbacks run; TestSuite runs them")
		}
		return fixture(t, name, l, g)
	})
}

func TestStreamsSuite(t *testing.T) {
	rt := New()
	t.Cleanup(func() { rt.Close(t.Context()) })
	plugintest.RunStreamsPluginSuite(t, rt, fixture)
}
