package abi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

func TestMarker(t *testing.T) {
	require.Equal(t, "genehost_abi_1_3", abi.MarkerName(abi.Major, abi.Minor))
	require.Equal(t, int32(1<<16), abi.MarkerValue(1, 0))
	require.Equal(t, int32(1<<16|1), abi.MarkerValue(1, 1))
	for _, c := range []struct {
		name         string
		major, minor int
		err          string
	}{
		{"genehost_abi_1_0", 1, 0, ""},
		{"genehost_abi_2_13", 2, 13, ""},
		{"genehost_abi_10_0", 10, 0, ""},
		{"genehost_abi_01_0", 0, 0, "malformed"},
		{"genehost_abi_1_00", 0, 0, "malformed"},
		{"genehost_abi_1", 0, 0, "malformed"},
		{"genehost_abi_1_", 0, 0, "malformed"},
		{"genehost_abi__1", 0, 0, "malformed"},
		{"genehost_abi_1_0_0", 0, 0, "malformed"},
		{"genehost_abi_x_0", 0, 0, "malformed"},
		{"genehost_abi_-1_0", 0, 0, "malformed"},
		{"genehost_abi_9999999_0", 0, 0, "malformed"},
		{"gh_abi_1_0", 0, 0, "not a version marker"},
	} {
		t.Run(c.name, func(t *testing.T) {
			major, minor, err := abi.ParseMarker(c.name)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, [2]int{c.major, c.minor}, [2]int{major, minor})
			require.Equal(t, c.name, abi.MarkerName(major, minor), "round trip")
		})
	}
}

func TestSignatures(t *testing.T) {
	sigs := map[string]string{}
	for _, f := range append(abi.Exports(), abi.Imports()...) {
		_, dup := sigs[f.Name]
		require.False(t, dup, "%s listed twice", f.Name)
		sigs[f.Name] = f.Signature()
	}
	// Spot checks against ABI.md's tables.
	assert.Equal(t, "(i64, i32, i32) -> (i32)", sigs[abi.ExportOnValues])
	assert.Equal(t, "(i32) -> (i32)", sigs[abi.ExportBuffer])
	assert.Equal(t, "() -> ()", sigs[abi.Initialize])
	assert.Equal(t, "(i32, i64, i32, i32) -> ()", sigs[abi.ImportLog])
	assert.Equal(t, "(i32, i32, i32, i32, i32, i32, i32) -> (i64)", sigs[abi.ImportKVScan])
	assert.Equal(t, "(i64) -> (i64)", sigs[abi.ImportTimerSet])
	assert.Equal(t, "(i32, i32, i32, i32, i32, i32, i32, i32, i32) -> (i64)", sigs[abi.ImportKVCAS])
	assert.Equal(t, "(i32, i32, i64, i32) -> (i32)", sigs[abi.ImportKVIncr])
	assert.Equal(t, "(i64, i32, i32, i32, i32, i32, i64, i32) -> (i64)", sigs[abi.ImportStreamAttach])
	assert.Equal(t, "(i32, i32, i32, i32, i64) -> (i32)", sigs[abi.ImportStreamAck])
	assert.Equal(t, "(i32, i32) -> (i64)", sigs[abi.ImportStreamInfo])
	assert.Equal(t, "() -> (i32)", abi.Marker(1, 0).Signature())
}

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		s    abi.Status
		name string
		err  error
	}{
		{abi.OK, "OK", nil},
		{abi.Pause, "PAUSE", nil},
		{abi.Error, "ERROR", abi.ErrFailed},
		{abi.NoCredit, "NO_CREDIT", abi.ErrNoCredit},
		{abi.LinkClosed, "LINK_CLOSED", abi.ErrLinkClosed},
		{abi.Direction, "DIRECTION", abi.ErrDirection},
		{abi.NotGranted, "NOT_GRANTED", abi.ErrNotGranted},
		{abi.NotFound, "NOT_FOUND", abi.ErrNotFound},
		{abi.BadValue, "BAD_VALUE", abi.ErrBadValue},
		{abi.Timeout, "TIMEOUT", abi.ErrTimeout},
		{abi.ShortBuffer, "SHORT_BUFFER", abi.ErrShortBuffer},
		{abi.NotDelivered, "NOT_DELIVERED", abi.ErrNotDelivered},
		{abi.BadName, "BAD_NAME", abi.ErrBadName},
		{abi.Status(99), "STATUS(99)", abi.ErrFailed},
		{abi.Status(-1), "STATUS(-1)", abi.ErrFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.name, c.s.String())
			assert.Equal(t, c.err, c.s.Err())
			assert.Equal(t, !strings.HasPrefix(c.name, "STATUS("), c.s.Known())
		})
	}
}

func TestLevels(t *testing.T) {
	for i, n := range []string{"trace", "debug", "info", "warn", "error"} {
		assert.Equal(t, n, abi.LevelName(int32(i)))
		assert.Equal(t, int32(i), abi.LevelOf(n))
	}
	assert.Equal(t, "info", abi.LevelName(9))
	assert.Equal(t, "info", abi.LevelName(-1))
	assert.Equal(t, abi.LevelInfo, abi.LevelOf("loud"))
}

func TestBufferSize(t *testing.T) {
	for _, c := range [][2]int{{0, 4096}, {1, 4096}, {4096, 4096}, {4097, 8192}, {1 << 20, 1 << 20}, {1<<20 + 1, 2 << 20}} {
		assert.Equal(t, c[1], abi.BufferSize(c[0]), "BufferSize(%d)", c[0])
	}
}

func TestLinkInfo(t *testing.T) {
	for _, li := range []abi.LinkInfo{
		{ID: 7, Interface: "kv", Direction: "send+recv", Peer: "unix:@", Meta: gene.MustParse(`{^client "cli"}`)},
		{ID: 1<<64 - 1, Interface: "feed", Direction: "send"},
		{},
	} {
		got, err := abi.DecodeLinkInfo(abi.AppendLinkInfo(nil, li), gene.BinaryOptions{})
		require.NoError(t, err)
		require.Equal(t, li.ID, got.ID)
		require.Equal(t, [3]string{li.Interface, li.Direction, li.Peer}, [3]string{got.Interface, got.Direction, got.Peer})
		require.True(t, gene.Equal(li.Meta, got.Meta))
	}
	t.Run("unknown props ignored", func(t *testing.T) {
		got, err := abi.DecodeLinkInfo(gene.AppendBinary(nil, gene.MustParse(`{^id 3 ^future [1 2] ^interface "x"}`)), gene.BinaryOptions{})
		require.NoError(t, err)
		require.Equal(t, uint64(3), got.ID)
		require.Equal(t, "x", got.Interface)
	})
	for _, c := range []struct{ name, in, err string }{
		{"not props", `[1]`, "link info is a list, want a prop map"},
		{"negative id", `{^id -1}`, "^id is int, want an unsigned 64-bit integer"},
		{"string id", `{^id "1"}`, "^id is string"},
		{"symbol interface", `{^interface kv}`, "^interface is a symbol, want a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := abi.DecodeLinkInfo(gene.AppendBinary(nil, gene.MustParse(c.in)), gene.BinaryOptions{})
			require.ErrorContains(t, err, c.err)
		})
	}
	t.Run("trailing bytes", func(t *testing.T) {
		_, err := abi.DecodeLinkInfo(append(abi.AppendLinkInfo(nil, abi.LinkInfo{ID: 1}), 0), gene.BinaryOptions{})
		require.ErrorContains(t, err, "1 bytes after the value")
	})
	t.Run("truncated", func(t *testing.T) {
		b := abi.AppendLinkInfo(nil, abi.LinkInfo{ID: 1, Interface: "kv"})
		_, err := abi.DecodeLinkInfo(b[:len(b)-2], gene.BinaryOptions{})
		require.ErrorIs(t, err, gene.ErrIncomplete)
	})
}

func TestControl(t *testing.T) {
	arg := gene.MustParse(`[1 (x ^y 2) "z"]`)
	op, got, err := abi.DecodeControl(abi.AppendControl(nil, "reset", arg), gene.BinaryOptions{})
	require.NoError(t, err)
	require.Equal(t, "reset", op)
	require.True(t, gene.Equal(arg, got))

	for _, c := range []struct {
		name string
		in   []byte
		err  string
	}{
		{"string op", abi.AppendBatch(nil, []gene.Value{gene.String("reset"), gene.Nil()}), "operation name is a string, want a symbol"},
		{"no argument", gene.AppendBinary(nil, gene.Symbol("reset")), "control argument"},
		{"extra", abi.AppendBatch(nil, []gene.Value{gene.Symbol("reset"), gene.Nil(), gene.Nil()}), "1 bytes after the argument"},
		{"empty", nil, "control operation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := abi.DecodeControl(c.in, gene.BinaryOptions{})
			require.ErrorContains(t, err, c.err)
		})
	}
}

func TestBatch(t *testing.T) {
	vs := []gene.Value{gene.Int(1), gene.MustParse(`(a ^b c)`), gene.String("d"), gene.Nil()}
	data := abi.AppendBatch(nil, vs)
	got, err := abi.DecodeBatch(nil, data, len(vs), gene.BinaryOptions{})
	require.NoError(t, err)
	require.Len(t, got, len(vs))
	for i := range vs {
		require.True(t, gene.Equal(vs[i], got[i]))
	}
	_, err = abi.DecodeBatch(nil, data, len(vs)-1, gene.BinaryOptions{})
	require.ErrorContains(t, err, "batch of 3 values: 1 bytes after the last value")
	_, err = abi.DecodeBatch(nil, data, len(vs)+1, gene.BinaryOptions{})
	require.ErrorContains(t, err, "value 5 of 5")
	require.ErrorIs(t, err, gene.ErrIncomplete)
	_, err = abi.DecodeBatch(nil, []byte{0xa0}, 1, gene.BinaryOptions{})
	require.ErrorIs(t, err, gene.ErrBinary)
}

func TestBatchEnds(t *testing.T) {
	vs := []gene.Value{gene.Int(1), gene.MustParse(`(a ^b c)`), gene.String("d"), gene.Nil()}
	data, ends := abi.AppendBatchEnds([]byte{0xff}, []int{99}, vs)
	require.Equal(t, byte(0xff), data[0], "AppendBatchEnds appends")
	require.Equal(t, 99, ends[0], "AppendBatchEnds appends")
	data, ends = data[1:], ends[1:]
	require.Equal(t, abi.AppendBatch(nil, vs), data)
	require.Len(t, ends, len(vs))
	start := 0
	for i, v := range vs {
		// Each span is exactly the value's own encoding, offset by
		// what came before it in dst.
		require.Equal(t, gene.AppendBinary(nil, v), data[start:ends[i]-1], "value %d", i)
		start = ends[i] - 1
	}

	got, gotEnds, err := abi.DecodeBatchEnds(nil, nil, data, len(vs), gene.BinaryOptions{})
	require.NoError(t, err)
	require.Len(t, got, len(vs))
	start = 0
	for i := range vs {
		require.True(t, gene.Equal(vs[i], got[i]))
		require.Equal(t, gene.AppendBinary(nil, vs[i]), data[start:gotEnds[i]], "value %d", i)
		start = gotEnds[i]
	}
	require.Equal(t, len(data), gotEnds[len(gotEnds)-1])

	_, _, err = abi.DecodeBatchEnds(nil, nil, data, len(vs)-1, gene.BinaryOptions{})
	require.ErrorContains(t, err, "batch of 3 values: 1 bytes after the last value")
	_, _, err = abi.DecodeBatchEnds(nil, nil, data, len(vs)+1, gene.BinaryOptions{})
	require.ErrorContains(t, err, "value 5 of 5")
}

func TestScanRecords(t *testing.T) {
	recs := [][2]string{{"a", "1"}, {"", ""}, {"key", string(make([]byte, 300))}}
	var data []byte
	total := 0
	for _, r := range recs {
		data = abi.AppendScanRecord(data, []byte(r[0]), []byte(r[1]))
		total += abi.ScanRecordSize([]byte(r[0]), []byte(r[1]))
	}
	require.Len(t, data, total)
	rest := data
	for _, r := range recs {
		k, v, next, err := abi.NextScanRecord(rest)
		require.NoError(t, err)
		require.Equal(t, r[0], string(k))
		require.Equal(t, r[1], string(v))
		rest = next
	}
	require.Empty(t, rest)
	for _, c := range []struct {
		name string
		in   []byte
		err  string
	}{
		{"short key length", []byte{1, 0}, "2 bytes left, want a 4-byte key length"},
		{"key past end", []byte{5, 0, 0, 0, 'a'}, "key of 5 bytes, only 1 left"},
		{"short value length", []byte{1, 0, 0, 0, 'a', 0}, "1 bytes left, want a 4-byte value length"},
		{"value past end", []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "value of 4294967295 bytes, only 0 left"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, err := abi.NextScanRecord(c.in)
			require.ErrorContains(t, err, c.err)
		})
	}
	require.True(t, errors.Is(abi.Status(abi.NotFound).Err(), abi.ErrNotFound))
}
