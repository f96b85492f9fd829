package wasmrt_test

import (
	"testing"

	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/wasmrt"
)

// TestStreamsSuite: a Go guest's guest.Streams and guest.Topics (the
// gh_stream_* and gh_topic_* imports of ABI 1.3) pass the behaviour suite
// the JavaScript API passes, on both streams backends (embedded and NATS
// JetStream, the same guest unchanged): publish,
// batches, attach with prefetch and host-pushed deliveries, ack and
// not-delivered, detach, info, topics, bad names, and the refusal
// without the grant.
func TestStreamsSuite(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	plugintest.RunStreamsPluginSuite(t, rt, fixture)
}
