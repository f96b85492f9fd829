package worker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/proto"
)

// Frames. Every frame is
//
//	len: u32 big-endian (the bytes after it) | kind: u8 | id: u64 big-endian | op: u8 | body
//
// kind is one of the frame kinds below; id pairs a reply or a cancel with
// its request; op says what a request or notification asks (one of the op
// constants); a reply's op is replyOK or replyErr.
const (
	frameHeader = 4 + 1 + 8 + 1

	kindRequest byte = 1 // a call that gets exactly one reply
	kindReply   byte = 2 // the answer to the request with the same id
	kindCancel  byte = 3 // the request with this id should give up (its caller's context ended)
	kindNotify  byte = 4 // a one-way message, served in order, never answered

	replyOK  byte = 0
	replyErr byte = 1
)

// Operations the host asks of the worker.
const (
	opCompile     byte = 1  // body: runtime name, source -> nothing
	opInstantiate byte = 2  // body: instance id, deadline -> nothing
	opOpen        byte = 3  // instance, deadline, link info -> nothing
	opReceive     byte = 4  // instance, deadline, link, values -> flow
	opControl     byte = 5  // instance, deadline, link, op, arg -> value
	opClosed      byte = 6  // instance, deadline, link, error -> nothing
	opTimer       byte = 7  // instance, deadline, timer id -> nothing
	opClose       byte = 8  // instance, deadline -> nothing
	opStatus      byte = 9  // nothing -> VmSize, VmRSS, VmPeak, VmHWM in KiB
	opPanicSelf   byte = 10 // nothing: tests only, the worker exits at once (status 7)
	opPing        byte = 11 // nothing -> nothing: the protocol's own round trip (benchmarks)
	opHostSend    byte = 20 // instance, link, value, deadline -> room
	opHostTrySend byte = 21 // instance, link, value -> room
	opHostClose   byte = 22 // instance, link, reason -> nothing
	opHostResume  byte = 23 // notify: instance, link
	opHostLog     byte = 24 // notify: instance, level, link, message
	opHostSetTmr  byte = 25 // instance, duration -> id
	opHostCnclTmr byte = 26 // notify: instance, id
	opHostStore   byte = 27 // instance -> nothing (fails with ErrNotGranted)
	opHostShip    byte = 28 // notify: instance, link, value: a send the worker accepted against its room
	opKVGet       byte = 30 // instance, key -> value
	opKVPut       byte = 31 // instance, key, value -> nothing
	opKVDelete    byte = 32 // instance, key -> bool
	opKVScan      byte = 33 // instance, prefix, after, limit -> n, (key, value)*n, more
	opKVReset     byte = 34 // instance -> nothing
	opKVBatch     byte = 35 // instance, n, (delete, key, value)*n -> n, bool*n
	opKVCAS       byte = 36 // instance, key, expect?, next? -> swapped, current?
	opKVIncr      byte = 37 // instance, key, by -> new value
)

// A callback request (open, receive, control, closed, timer) carries,
// after the instance and the deadline, the room of the links the
// instance is likely to send on: n, then (link, values, bytes, max
// value)*n. A reply to a send carries the link's room after it: ok, then
// (values, bytes, max value) when ok.

// maxRooms bounds the links whose room a callback request carries.
const maxRooms = 8

func (e *enc) room(r plugin.Room) {
	e.uvarint(r.Values)
	e.uvarint(r.Bytes)
	e.uvarint(r.MaxValue)
}

func (d *dec) room() plugin.Room {
	return plugin.Room{Values: d.uvarint(), Bytes: d.uvarint(), MaxValue: d.uvarint()}
}

// scanChunkBytes bounds one Scan reply; a longer scan takes several.
const scanChunkBytes = 1 << 20

// enc appends the fields of a frame body.
type enc struct{ b []byte }

func (e *enc) u8(v byte)        { e.b = append(e.b, v) }
func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) bytes(v []byte) { e.uvarint(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) str(v string)   { e.uvarint(uint64(len(v))); e.b = append(e.b, v...) }

// optBytes writes a byte slice that may be nil, keeping nil apart from
// empty.
func (e *enc) optBytes(v []byte) {
	e.bool(v != nil)
	if v != nil {
		e.bytes(v)
	}
}
func (e *enc) value(v gene.Value) { e.b = gene.AppendBinary(e.b, v) }

// deadline writes how long the callee has, from ctx's deadline, in
// nanoseconds (0: none).
func (e *enc) deadline(ctx context.Context) {
	var d int64
	if dl, ok := ctx.Deadline(); ok {
		if d = int64(time.Until(dl)); d <= 0 {
			d = 1
		}
	}
	e.varint(d)
}

// dec reads the fields of a frame body; the first error sticks and every
// later read returns zero values.
type dec struct {
	b      []byte
	err    error
	limits gene.Limits
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("worker: malformed frame body: %s", what)
	}
}

func (d *dec) u8() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail("short u8")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) bool() bool { return d.u8() != 0 }

// bytes returns a copy of a length-prefixed byte string.
func (d *dec) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail("short bytes")
		return nil
	}
	v := append([]byte{}, d.b[:n]...)
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail("short string")
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *dec) optBytes() []byte {
	if !d.bool() {
		return nil
	}
	return d.bytes()
}

func (d *dec) value() gene.Value {
	if d.err != nil {
		return gene.Value{}
	}
	v, n, err := gene.DecodeBinary(d.b, gene.BinaryOptions{Limits: d.limits})
	if err != nil {
		d.err = fmt.Errorf("worker: value in frame: %w", err)
		return gene.Value{}
	}
	d.b = d.b[n:]
	return v
}

// context returns a context for a request that carried a deadline.
func (d *dec) context(parent context.Context) (context.Context, context.CancelFunc) {
	if ns := d.varint(); ns > 0 {
		return context.WithTimeout(parent, time.Duration(ns))
	}
	return context.WithCancel(parent)
}

// unlimited accepts every value: what the host sends the worker was
// already accepted by the host's own limits.
var unlimited = gene.Limits{MaxDepth: -1, MaxElements: -1, MaxStringBytes: -1, MaxIntDigits: -1, MaxValueBytes: -1}

// Errors crossing the pipe keep their text and which sentinels they match.
// sentinels is append-only: a bit's meaning never changes.
var sentinels = []error{
	plugin.ErrNoCredit,
	plugin.ErrNotGranted,
	plugin.ErrTimeout,
	plugin.ErrLinkClosed,
	plugin.ErrDirection,
	plugin.ErrInstanceLost,
	plugin.ErrNotFound,
	plugin.ErrNotInteger,
	context.Canceled,
	context.DeadlineExceeded,
	gene.ErrBinary,
	plugin.ErrHandler, // a handler's own error: the instance is kept (not a crash)
	plugin.ErrNotDelivered,
	plugin.ErrStreamName,
}

// encErr writes err: the set of sentinels it matches, its proto code (0
// when it carries none) and its text.
func (e *enc) err(err error) {
	var mask uint64
	for i, s := range sentinels {
		if errors.Is(err, s) {
			mask |= 1 << i
		}
	}
	e.uvarint(mask)
	var pe *proto.Error
	if errors.As(err, &pe) {
		e.uvarint(uint64(pe.Code))
		e.str(pe.Msg)
	} else {
		e.uvarint(0)
	}
	e.str(err.Error())
}

// remoteErr reads an error written by encErr.
func (d *dec) remoteErr() error {
	re := &RemoteError{mask: d.uvarint()}
	if code := d.uvarint(); code != 0 {
		msg := d.str()
		if code <= math.MaxUint16 {
			re.proto = &proto.Error{Code: proto.Code(code), Msg: msg}
		}
	}
	re.msg = d.str()
	if d.err != nil {
		return d.err
	}
	return re
}

// RemoteError is an error that crossed the pipe between the host and a
// worker: its text is the original's, errors.Is matches the sentinels of
// package plugin (and context.Canceled, context.DeadlineExceeded,
// gene.ErrBinary) the original matched, and a *proto.Error it wrapped is
// kept, so proto.CodeOf still works.
type RemoteError struct {
	msg   string
	mask  uint64
	proto *proto.Error
}

func (e *RemoteError) Error() string { return e.msg }

// Is reports whether the original error matched target.
func (e *RemoteError) Is(target error) bool {
	for i, s := range sentinels {
		if e.mask&(1<<i) != 0 && target == s {
			return true
		}
	}
	return false
}

// Unwrap returns the *proto.Error the original carried, or nil.
func (e *RemoteError) Unwrap() error {
	if e.proto == nil {
		return nil
	}
	return e.proto
}

// linkInfo codec.
func (e *enc) linkInfo(l plugin.LinkInfo) {
	e.uvarint(uint64(l.ID))
	e.str(l.Interface)
	e.u8(byte(l.Direction))
	e.str(l.Peer)
	e.value(l.Meta)
}

func (d *dec) linkInfo() plugin.LinkInfo {
	return plugin.LinkInfo{
		ID:        plugin.LinkID(d.uvarint()),
		Interface: d.str(),
		Direction: proto.Direction(d.u8()),
		Peer:      d.str(),
		Meta:      d.value(),
	}
}

// source codec.
func (e *enc) source(s *plugin.Source) {
	e.str(s.Name)
	e.str(s.Dir)
	e.str(s.Entry)
	e.bytes(s.Code)
	e.str(s.Hash)
	e.varint(int64(s.Limits.MemoryMB))
	e.uvarint(uint64(s.Limits.MemoryPages))
	e.varint(int64(s.Limits.CallTimeout))
	e.varint(int64(s.Limits.MaxInputBytes))
	e.bool(s.Grants.KV)
	e.bool(s.Grants.Timers)
	e.bool(s.Grants.Clock)
	e.strMap(s.Grants.Env)
	e.strMap(s.Grants.Dirs)
}

func (e *enc) strMap(m map[string]string) {
	e.bool(m != nil)
	e.uvarint(uint64(len(m)))
	for k, v := range m {
		e.str(k)
		e.str(v)
	}
}

func (d *dec) source() *plugin.Source {
	s := &plugin.Source{Name: d.str(), Dir: d.str(), Entry: d.str(), Code: d.bytes(), Hash: d.str()}
	s.Limits.MemoryMB = int(d.varint())
	s.Limits.MemoryPages = uint32(d.uvarint())
	s.Limits.CallTimeout = time.Duration(d.varint())
	s.Limits.MaxInputBytes = int(d.varint())
	s.Grants.KV = d.bool()
	s.Grants.Timers = d.bool()
	s.Grants.Clock = d.bool()
	s.Grants.Env = d.strMap()
	s.Grants.Dirs = d.strMap()
	return s
}

func (d *dec) strMap() map[string]string {
	present := d.bool()
	n := d.uvarint()
	if !present || d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("map longer than its frame")
		return nil
	}
	m := make(map[string]string, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := d.str()
		m[k] = d.str()
	}
	return m
}
