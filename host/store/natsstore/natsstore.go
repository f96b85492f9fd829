package natsstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
)

// Config says how to reach NATS. Servers is required; the auth fields are
// the usual ones of a NATS client and may be combined as the servers
// require.
type Config struct {
	// Servers are nats:// (or tls://) URLs of one server or of members of
	// a cluster; the client fails over between them.
	Servers []string
	// Name is the client name the servers show (default "genehost").
	Name string
	// Creds is a credentials file (a user JWT and its NKey seed).
	Creds string
	// User and Password, or Token, authenticate without a creds file.
	User, Password, Token string
	// CA verifies the servers' certificates; Cert and Key are this
	// client's, for servers that require one.
	CA, Cert, Key string
	// Replicas of each bucket genehost creates (default 1; 3 in a
	// cluster of 3 keeps state through the loss of one server).
	Replicas int
	// Timeout bounds each JetStream request (default 5s) and the first
	// connection.
	Timeout time.Duration
}

// MaxKeyBytes is the longest store key the NATS backend takes: its
// encoding (two hex digits a byte, a '.' a '/') must fit a subject within
// the NATS protocol's line limit.
const MaxKeyBytes = 1100

// Backend is the NATS JetStream backend: one connection per process.
type Backend struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream

	mu      sync.Mutex
	buckets map[string]*kvStore // by plugin name
}

var _ store.Backend = (*Backend)(nil)

// Open connects to the servers of c and checks that JetStream answers.
func Open(ctx context.Context, c Config) (*Backend, error) {
	if len(c.Servers) == 0 {
		return nil, errors.New("natsstore: no NATS server given")
	}
	if c.Name == "" {
		c.Name = "genehost"
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	opts := []nats.Option{
		nats.Name(c.Name), nats.Timeout(c.Timeout),
		nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.User != "" || c.Password != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
	}
	if c.CA != "" {
		opts = append(opts, nats.RootCAs(c.CA))
	}
	if c.Cert != "" || c.Key != "" {
		opts = append(opts, nats.ClientCert(c.Cert, c.Key))
	}
	servers := strings.Join(c.Servers, ",")
	nc, err := nats.Connect(servers, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsstore: connect to %s: %w", servers, err)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(c.Timeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsstore: %s: %w", servers, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	if _, err := js.AccountInfo(actx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsstore: JetStream at %s: %w (is the server started with JetStream enabled, -js?)", servers, err)
	}
	return &Backend{cfg: c, nc: nc, js: js, buckets: map[string]*kvStore{}}, nil
}

// Conn returns the NATS connection, for capabilities built on it (streams
// and topics). It is closed by Close.
func (b *Backend) Conn() *nats.Conn { return b.nc }

// JetStream returns the JetStream context of the connection.
func (b *Backend) JetStream() jetstream.JetStream { return b.js }

// Replicas returns how many replicas the streams genehost creates get.
func (b *Backend) Replicas() int { return b.cfg.Replicas }

// String implements store.Backend.
func (b *Backend) String() string { return "NATS JetStream at " + strings.Join(b.cfg.Servers, ",") }

// Close implements store.Backend: it closes the connection (open watches
// end with it).
func (b *Backend) Close() error {
	b.nc.Close()
	return nil
}

// Name escapes a plugin, stream or topic name for a JetStream name or a
// subject token: letters, digits and '-' are kept, every other byte is
// '_' followed by two lowercase hex digits.
func Name(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			sb.WriteByte(c)
			continue
		}
		fmt.Fprintf(&sb, "_%02x", c)
	}
	return sb.String()
}

// Bucket is the KV bucket of the plugin called plugin.
func Bucket(plugin string) string { return "genehost_kv_" + Name(plugin) }

// PluginKV implements store.Backend: the plugin's bucket, created on
// first use with Config.Replicas replicas.
func (b *Backend) PluginKV(name string) (plugin.Store, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.buckets[name]; ok {
		return s, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*b.cfg.Timeout)
	defer cancel()
	bucket := Bucket(name)
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket, Description: "genehost: key-value store of plugin " + name,
		History: 1, Storage: jetstream.FileStorage, Replicas: b.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: bucket %s: %w", bucket, err)
	}
	st, err := b.js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("natsstore: bucket %s: %w", bucket, err)
	}
	if cfg := st.CachedInfo().Config; !cfg.AllowAtomicPublish {
		cfg.AllowAtomicPublish = true
		if st, err = b.js.UpdateStream(ctx, cfg); err != nil {
			return nil, fmt.Errorf("natsstore: bucket %s: allow atomic batches: %w", bucket, err)
		}
	}
	s := &kvStore{b: b, kv: kv, st: st, bucket: bucket, subj: "$KV." + bucket + "."}
	b.buckets[name] = s
	return s, nil
}
