package abi

import (
	"bytes"
	"testing"

	"github.com/genehost/genehost/gene"
)

// Everything in this file decodes bytes a guest controls (or that reach
// a guest), so each target asserts no panic, that what is accepted
// re-encodes to the same bytes, and that nothing reads past the input.

var fuzzOpts = gene.BinaryOptions{Limits: gene.Limits{MaxDepth: 32, MaxElements: 256}}

// sameValue reports whether a and b have the same binary encoding:
// stricter than gene.Equal, and true for NaN (which is not equal to
// itself).
func sameValue(a, b gene.Value) bool {
	return bytes.Equal(gene.AppendBinary(nil, a), gene.AppendBinary(nil, b))
}

// FuzzDecodeLinkInfo: the input of gh_on_open.
func FuzzDecodeLinkInfo(f *testing.F) {
	f.Add(AppendLinkInfo(nil, LinkInfo{ID: 7, Interface: "kv", Direction: "send+recv", Peer: "unix", Meta: gene.PropMap(gene.Prop{Key: "token", Value: gene.String("t")})}))
	f.Add(AppendLinkInfo(nil, LinkInfo{ID: 1 << 63}))
	f.Add(gene.AppendBinary(nil, gene.PropMap(gene.Prop{Key: "id", Value: gene.Int(-1)})))
	f.Add(gene.AppendBinary(nil, gene.List(gene.Int(1))))
	f.Fuzz(func(t *testing.T, data []byte) {
		li, err := DecodeLinkInfo(data, fuzzOpts)
		if err != nil {
			return
		}
		again, err := DecodeLinkInfo(AppendLinkInfo(nil, li), fuzzOpts)
		if err != nil {
			t.Fatalf("re-encoded link info %+v does not decode: %v", li, err)
		}
		if again.ID != li.ID || again.Interface != li.Interface || again.Direction != li.Direction || again.Peer != li.Peer || !sameValue(again.Meta, li.Meta) {
			t.Fatalf("link info round trip: %+v became %+v", li, again)
		}
	})
}

// FuzzDecodeControl: the input of gh_on_control.
func FuzzDecodeControl(f *testing.F) {
	f.Add(AppendControl(nil, "reset", gene.Nil()))
	f.Add(AppendControl(nil, "op", gene.List(gene.Int(1), gene.String("x"))))
	f.Add(gene.AppendBinary(nil, gene.String("op")))
	f.Fuzz(func(t *testing.T, data []byte) {
		op, arg, err := DecodeControl(data, fuzzOpts)
		if err != nil {
			return
		}
		enc := AppendControl(nil, op, arg)
		op2, arg2, err := DecodeControl(enc, fuzzOpts)
		if err != nil || op2 != op || !sameValue(arg, arg2) {
			t.Fatalf("control round trip: %q %v became %q %v (%v)", op, arg, op2, arg2, err)
		}
	})
}

// FuzzDecodeBatch: the input of gh_on_values, with a guest-visible count.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(AppendBatch(nil, []gene.Value{gene.Int(1), gene.String("two"), gene.List()}), 3)
	f.Add(AppendBatch(nil, []gene.Value{gene.Int(1)}), 2)
	f.Add([]byte{}, 0)
	f.Add([]byte{0xff}, -1)
	f.Fuzz(func(t *testing.T, data []byte, count int) {
		count %= 1 << 16 // a batch count is a u32 on the ABI; keep runs short
		vs, err := DecodeBatch(nil, data, count, fuzzOpts)
		if len(vs) > len(data) && len(vs) > 0 {
			// Every value takes at least one byte.
			t.Fatalf("%d values from %d bytes", len(vs), len(data))
		}
		if err != nil {
			return
		}
		if len(vs) != max(count, 0) {
			t.Fatalf("asked for %d values, got %d without error", count, len(vs))
		}
		if enc := AppendBatch(nil, vs); !bytes.Equal(enc, data) {
			vs2, err := DecodeBatch(nil, enc, count, fuzzOpts)
			if err != nil || len(vs2) != len(vs) {
				t.Fatalf("batch re-encoding does not decode: %v", err)
			}
			for i := range vs {
				if !sameValue(vs[i], vs2[i]) {
					t.Fatalf("value %d: %v became %v", i, vs[i], vs2[i])
				}
			}
		}
	})
}

// FuzzScanRecords: the output buffer of gh_kv_scan, as a guest splits it.
func FuzzScanRecords(f *testing.F) {
	f.Add(AppendScanRecord(AppendScanRecord(nil, []byte("a"), []byte("1")), []byte("bb"), nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{1, 0, 0, 0, 'k', 0xfe, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var out []byte
		rest := data
		for len(rest) > 0 {
			key, val, r, err := NextScanRecord(rest)
			if err != nil {
				return
			}
			if len(r) >= len(rest) {
				t.Fatalf("no progress: %d bytes left of %d", len(r), len(rest))
			}
			if cap(key) != len(key) || cap(val) != len(val) {
				t.Fatal("key or value slice can be appended into the rest of the buffer")
			}
			out = AppendScanRecord(out, key, val)
			rest = r
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("records re-encode to % x, read from % x", out, data)
		}
	})
}

// FuzzParseMarker: the version marker export name a module declares.
func FuzzParseMarker(f *testing.F) {
	f.Add(MarkerName(1, 0))
	f.Add("genehost_abi_01_0")
	f.Add("genehost_abi_999999_1")
	f.Fuzz(func(t *testing.T, name string) {
		major, minor, err := ParseMarker(name)
		if err != nil {
			return
		}
		if major < 0 || minor < 0 || MarkerName(major, minor) != name {
			t.Fatalf("%q parsed as %d.%d, which is named %q", name, major, minor, MarkerName(major, minor))
		}
	})
}
