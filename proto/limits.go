package proto

import (
	"errors"
	"fmt"
	"time"

	"github.com/genehost/genehost/gene"
)

// Default limits (PROTOCOL.md section 5.3).
const (
	DefaultMaxFrameBytes   = 64 << 10
	DefaultMaxMessageBytes = 16 << 20
	DefaultMaxLinks        = 1024
)

// Ranges of the limits announced in the handshake.
const (
	MinFrameBytes   = 4096
	MaxFrameBytes   = 16 << 20
	MinMessageBytes = 1024
	MaxMessageBytes = 1 << 30
	MaxLinks        = 1 << 24
	maxDepth        = 100000
	maxIntDigits    = 1000000
	maxInt31        = 1<<31 - 1
	// MinWindow is the smallest transport window a side may announce.
	MinWindow = 1024
)

// Limits are the limits announced in the handshake and enforced in both
// directions once it is done. A zero field means the default; negative
// values are invalid (on the wire every limit is a concrete number).
type Limits struct {
	// MaxFrameBytes is the largest frame payload, in bytes. Default 64 KiB,
	// range 4 KiB to 16 MiB.
	MaxFrameBytes int
	// MaxMessageBytes is the largest encoded value, in bytes. Default
	// 16 MiB, range 1 KiB to 1 GiB.
	MaxMessageBytes int
	// MaxLinks is the most links open at once on a transport, both sides'
	// together. Default 1024, range 1 to 2^24.
	MaxLinks int
	// MaxDepth is the deepest nesting of containers in a value. Default
	// gene.DefaultMaxDepth (256), range 1 to 100000.
	MaxDepth int
	// MaxElements is the most elements in one container. Default
	// gene.DefaultMaxElements (2^20).
	MaxElements int
	// MaxStringBytes is the longest string, symbol, bytes value or regex
	// pattern, in bytes. Default gene.DefaultMaxStringBytes (16 MiB).
	MaxStringBytes int
	// MaxIntDigits is the most decimal digits of one integer. Default
	// gene.DefaultMaxIntDigits (4096), range 1 to 10^6.
	MaxIntDigits int
}

// limitField ties a Limits field to its handshake key and range.
type limitField struct {
	key      string
	get      func(*Limits) *int
	def      int
	min, max int
}

var limitFields = []limitField{
	{"max-frame-bytes", func(l *Limits) *int { return &l.MaxFrameBytes }, DefaultMaxFrameBytes, MinFrameBytes, MaxFrameBytes},
	{"max-message-bytes", func(l *Limits) *int { return &l.MaxMessageBytes }, DefaultMaxMessageBytes, MinMessageBytes, MaxMessageBytes},
	{"max-links", func(l *Limits) *int { return &l.MaxLinks }, DefaultMaxLinks, 1, MaxLinks},
	{"max-depth", func(l *Limits) *int { return &l.MaxDepth }, gene.DefaultMaxDepth, 1, maxDepth},
	{"max-elements", func(l *Limits) *int { return &l.MaxElements }, gene.DefaultMaxElements, 1, maxInt31},
	{"max-string-bytes", func(l *Limits) *int { return &l.MaxStringBytes }, gene.DefaultMaxStringBytes, 1, maxInt31},
	{"max-int-digits", func(l *Limits) *int { return &l.MaxIntDigits }, gene.DefaultMaxIntDigits, 1, maxIntDigits},
}

// WithDefaults returns l with zero fields replaced by the defaults.
func (l Limits) WithDefaults() Limits {
	for _, f := range limitFields {
		if p := f.get(&l); *p == 0 {
			*p = f.def
		}
	}
	return l
}

// Validate checks every non-zero field against its range and returns an
// error naming the first field out of range.
func (l Limits) Validate() error {
	for _, f := range limitFields {
		if v := *f.get(&l); v != 0 && (v < f.min || v > f.max) {
			return fmt.Errorf("proto: limit %s is %d; it must be between %d and %d", f.key, v, f.min, f.max)
		}
	}
	return nil
}

// Min returns the field-wise minimum of l and o, where a zero field of
// either means "no preference" and takes the other's value.
func (l Limits) Min(o Limits) Limits {
	for _, f := range limitFields {
		a, b := f.get(&l), *f.get(&o)
		if *a == 0 || (b != 0 && b < *a) {
			*a = b
		}
	}
	return l
}

// Gene returns the limits that apply to decoding one received value, with
// MaxValueBytes set to MaxMessageBytes. Zero fields give gene's defaults.
func (l Limits) Gene() gene.Limits {
	return gene.Limits{
		MaxDepth:       l.MaxDepth,
		MaxElements:    l.MaxElements,
		MaxStringBytes: l.MaxStringBytes,
		MaxIntDigits:   l.MaxIntDigits,
		MaxValueBytes:  l.MaxMessageBytes,
	}
}

// WindowConfig sets a receiver's window for one link direction. Zero
// fields mean the defaults; Max below Initial is raised to Initial.
type WindowConfig struct {
	// InitialMsgs is the message credit granted when the link opens.
	// Default 256.
	InitialMsgs int
	// MaxMsgs is the most the message window grows to. Default 4096.
	MaxMsgs int
	// InitialBytes is the byte credit granted when the link opens; it also
	// caps the largest value the direction carries (PROTOCOL.md 8.2).
	// Default 16 MiB.
	InitialBytes int
	// MaxBytes is the most the byte window grows to. Default 64 MiB.
	MaxBytes int
}

// Default windows.
const (
	DefaultWindowMsgs       = 256
	DefaultMaxWindowMsgs    = 4096
	DefaultWindowBytes      = 16 << 20
	DefaultMaxWindowBytes   = 64 << 20
	DefaultTransportWindow  = 64 << 20
	DefaultMaxTransportWin  = 256 << 20
	DefaultKeepalive        = 30 * time.Second
	DefaultControlRate      = 500
	DefaultControlBurst     = 1000
	DefaultControlQueue     = 1 << 20
	DefaultLinkQueue        = 64
	minKeepalive            = time.Second
	maxWindow               = 1 << 62
	defaultHandshakeTimeout = 10 * time.Second
	maxNameBytes            = 256
)

// WithDefaults returns c with zero fields replaced by the defaults and Max
// raised to at least Initial.
func (c WindowConfig) WithDefaults() WindowConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.InitialMsgs, DefaultWindowMsgs)
	def(&c.MaxMsgs, DefaultMaxWindowMsgs)
	def(&c.InitialBytes, DefaultWindowBytes)
	def(&c.MaxBytes, DefaultMaxWindowBytes)
	c.MaxMsgs = max(c.MaxMsgs, c.InitialMsgs)
	c.MaxBytes = max(c.MaxBytes, c.InitialBytes)
	return c
}

// Validate reports negative fields and windows beyond 2^62.
func (c WindowConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"InitialMsgs", c.InitialMsgs}, {"MaxMsgs", c.MaxMsgs}, {"InitialBytes", c.InitialBytes}, {"MaxBytes", c.MaxBytes}} {
		if f.v < 0 || uint64(f.v) > maxWindow {
			return fmt.Errorf("proto: window %s is %d; it must be between 0 (default) and 2^62", f.name, f.v)
		}
	}
	return nil
}

// Config holds one side's settings for a transport: what it announces in
// the handshake and the local budgets it enforces. Zero fields mean the
// defaults; Validate checks the rest.
type Config struct {
	// Limits are the largest limits this side accepts (the host's limits,
	// or the client's wishes); the handshake settles the smaller of both.
	Limits Limits
	// Encodings are the payload encodings offered (client) or supported
	// (host), most preferred first. Default [EncodingBinary,
	// EncodingText].
	Encodings []Encoding
	// Keepalive is the keepalive interval: the host's setting, or the
	// client's wish. Default 30s; negative disables it (host) or states no
	// preference (client). Values below one second are raised to one.
	Keepalive time.Duration
	// TransportWindow is this side's initial transport window in bytes.
	// Default 64 MiB; at least MinWindow.
	TransportWindow int
	// MaxTransportWindow is the most the transport window grows to.
	// Default 256 MiB.
	MaxTransportWindow int
	// DataWindow and ControlWindow are the windows this side grants on
	// the data and control links it receives on.
	DataWindow    WindowConfig
	ControlWindow WindowConfig
	// ControlRate and ControlBurst set the token bucket for control frames
	// received (PROTOCOL.md section 9): tokens per second and bucket size.
	// Defaults 500 and 1000.
	ControlRate  int
	ControlBurst int
	// ControlQueue is the byte budget of queued outgoing control frames.
	// Default 1 MiB.
	ControlQueue int
	// LinkQueue is the number of values queued per link for sending.
	// Default 64.
	LinkQueue int
	// Name is the software name and version announced ("genehost/0.1").
	Name string
}

// WithDefaults returns c with zero fields replaced by the defaults.
func (c Config) WithDefaults() Config {
	c.Limits = c.Limits.WithDefaults()
	if len(c.Encodings) == 0 {
		c.Encodings = []Encoding{EncodingBinary, EncodingText}
	}
	if c.Keepalive == 0 {
		c.Keepalive = DefaultKeepalive
	}
	if c.Keepalive > 0 && c.Keepalive < minKeepalive {
		c.Keepalive = minKeepalive
	}
	if c.TransportWindow == 0 {
		c.TransportWindow = DefaultTransportWindow
	}
	if c.MaxTransportWindow == 0 {
		c.MaxTransportWindow = DefaultMaxTransportWin
	}
	c.MaxTransportWindow = max(c.MaxTransportWindow, c.TransportWindow)
	c.DataWindow = c.DataWindow.WithDefaults()
	if c.ControlWindow == (WindowConfig{}) {
		c.ControlWindow = WindowConfig{InitialMsgs: 64, MaxMsgs: 256, InitialBytes: 4 << 20, MaxBytes: 16 << 20}
	}
	c.ControlWindow = c.ControlWindow.WithDefaults()
	if c.ControlRate == 0 {
		c.ControlRate = DefaultControlRate
	}
	if c.ControlBurst == 0 {
		c.ControlBurst = DefaultControlBurst
	}
	if c.ControlQueue == 0 {
		c.ControlQueue = DefaultControlQueue
	}
	if c.LinkQueue == 0 {
		c.LinkQueue = DefaultLinkQueue
	}
	return c
}

// Validate checks c and returns every problem found, joined.
func (c Config) Validate() error {
	var errs []error
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, e := range c.Encodings {
		if !e.Known() {
			errs = append(errs, fmt.Errorf("proto: unknown encoding %q (want %q or %q)", e, EncodingBinary, EncodingText))
		}
	}
	if c.TransportWindow != 0 && (c.TransportWindow < MinWindow || uint64(c.TransportWindow) > maxWindow) {
		errs = append(errs, fmt.Errorf("proto: TransportWindow is %d; it must be between %d and 2^62", c.TransportWindow, MinWindow))
	}
	if c.MaxTransportWindow < 0 || uint64(c.MaxTransportWindow) > maxWindow {
		errs = append(errs, fmt.Errorf("proto: MaxTransportWindow is %d; it must be between 0 (default) and 2^62", c.MaxTransportWindow))
	}
	if err := c.DataWindow.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("DataWindow: %w", err))
	}
	if err := c.ControlWindow.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("ControlWindow: %w", err))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"ControlRate", c.ControlRate}, {"ControlBurst", c.ControlBurst}, {"ControlQueue", c.ControlQueue}, {"LinkQueue", c.LinkQueue}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("proto: %s is %d; it must not be negative", f.name, f.v))
		}
	}
	if len(c.Name) > maxNameBytes {
		errs = append(errs, fmt.Errorf("proto: Name is %d bytes; at most %d", len(c.Name), maxNameBytes))
	}
	return errors.Join(errs...)
}
