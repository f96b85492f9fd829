package guest

import (
	"encoding/binary"
	"unsafe"

	"github.com/genehost/genehost/abi"
)

const isWasm = true

// testHostActive is false: a TestHost exists only outside wasip1.
func testHostActive() bool { return false }

// The host functions of ABI.md section 5. Pointers are offsets into this
// module's memory; the host reads or writes them before returning.

//go:wasmimport genehost gh_result
func ghResult(p unsafe.Pointer, n uint32)

//go:wasmimport genehost gh_error
func ghError(p unsafe.Pointer, n uint32) uint32

//go:wasmimport genehost gh_send
func ghSend(link uint64, p unsafe.Pointer, n uint32) int32

//go:wasmimport genehost gh_try_send
func ghTrySend(link uint64, p unsafe.Pointer, n uint32) int32

//go:wasmimport genehost gh_close_link
func ghCloseLink(link uint64, p unsafe.Pointer, n uint32) int32

//go:wasmimport genehost gh_resume
func ghResume(link uint64)

//go:wasmimport genehost gh_log
func ghLog(level int32, link uint64, p unsafe.Pointer, n uint32)

//go:wasmimport genehost gh_kv_get
func ghKVGet(k unsafe.Pointer, kn uint32, v unsafe.Pointer, vcap uint32) int64

//go:wasmimport genehost gh_kv_put
func ghKVPut(k unsafe.Pointer, kn uint32, v unsafe.Pointer, vn uint32) int32

//go:wasmimport genehost gh_kv_delete
func ghKVDelete(k unsafe.Pointer, kn uint32) int32

//go:wasmimport genehost gh_kv_scan
func ghKVScan(p unsafe.Pointer, pn uint32, a unsafe.Pointer, an uint32, limit uint32, o unsafe.Pointer, ocap uint32) int64

//go:wasmimport genehost gh_kv_cas
func ghKVCAS(k unsafe.Pointer, kn uint32, e unsafe.Pointer, en uint32, n unsafe.Pointer, nn uint32, flags int32, c unsafe.Pointer, ccap uint32) int64

//go:wasmimport genehost gh_kv_incr
func ghKVIncr(k unsafe.Pointer, kn uint32, by int64, out unsafe.Pointer) int32

//go:wasmimport genehost gh_timer_set
func ghTimerSet(delay int64) int64

//go:wasmimport genehost gh_timer_cancel
func ghTimerCancel(id uint64)

func bp(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }
func sp(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func callResult(b []byte)              { ghResult(bp(b), uint32(len(b))) }
func callResultString(s string)        { ghResult(sp(s), uint32(len(s))) }
func callError(buf []byte) int         { return int(ghError(bp(buf), uint32(len(buf)))) }
func callResume(link uint64)           { ghResume(link) }
func callTimerSet(ns int64) int64      { return ghTimerSet(ns) }
func callTimerCancel(id uint64)        { ghTimerCancel(id) }
func callKVDelete(k []byte) abi.Status { return abi.Status(ghKVDelete(bp(k), uint32(len(k)))) }

func callSend(link uint64, b []byte, try bool) abi.Status {
	if try {
		return abi.Status(ghTrySend(link, bp(b), uint32(len(b))))
	}
	return abi.Status(ghSend(link, bp(b), uint32(len(b))))
}

func callCloseLink(link uint64, reason string) abi.Status {
	return abi.Status(ghCloseLink(link, sp(reason), uint32(len(reason))))
}

func callLog(level int32, link uint64, msg string) {
	ghLog(level, link, sp(msg), uint32(len(msg)))
}

func callKVGet(k, out []byte) int64 {
	return ghKVGet(bp(k), uint32(len(k)), bp(out), uint32(len(out)))
}

func callKVPut(k, v []byte) abi.Status {
	return abi.Status(ghKVPut(bp(k), uint32(len(k)), bp(v), uint32(len(v))))
}

func callKVScan(prefix, after, out []byte) int64 {
	return ghKVScan(bp(prefix), uint32(len(prefix)), bp(after), uint32(len(after)), 0, bp(out), uint32(len(out)))
}

// callKVCAS passes expect and next as absent when nil (an empty, non-nil
// slice is a present, empty value).
func callKVCAS(k, expect, next, out []byte) int64 {
	var flags int32
	if expect != nil {
		flags |= abi.CASExpect
	}
	if next != nil {
		flags |= abi.CASPut
	}
	return ghKVCAS(bp(k), uint32(len(k)), bp(expect), uint32(len(expect)), bp(next), uint32(len(next)), flags, bp(out), uint32(len(out)))
}

// incrOut receives gh_kv_incr's result.
var incrOut [abi.IncrOutSize]byte

func callKVIncr(k []byte, by int64) (int64, abi.Status) {
	st := abi.Status(ghKVIncr(bp(k), uint32(len(k)), by, unsafe.Pointer(&incrOut)))
	return int64(binary.LittleEndian.Uint64(incrOut[:])), st
}

//go:wasmimport genehost gh_kv_watch
func ghKVWatch(p unsafe.Pointer, pn uint32) int64

//go:wasmimport genehost gh_kv_watch_next
func ghKVWatchNext(id uint64, o unsafe.Pointer, ocap uint32) int64

//go:wasmimport genehost gh_kv_unwatch
func ghKVUnwatch(id uint64)

func callKVWatch(prefix []byte) int64 { return ghKVWatch(bp(prefix), uint32(len(prefix))) }
func callKVWatchNext(id uint64, out []byte) int64 {
	return ghKVWatchNext(id, bp(out), uint32(len(out)))
}
func callKVUnwatch(id uint64) { ghKVUnwatch(id) }

// The streams and topics of ABI 1.3.

//go:wasmimport genehost gh_stream_publish
func ghStreamPublish(s unsafe.Pointer, sn uint32, v unsafe.Pointer, vn uint32) int64

//go:wasmimport genehost gh_stream_publish_batch
func ghStreamPublishBatch(r unsafe.Pointer, rn uint32, count uint32, o unsafe.Pointer) int32

//go:wasmimport genehost gh_stream_attach
func ghStreamAttach(link uint64, s unsafe.Pointer, sn uint32, g unsafe.Pointer, gn uint32, prefetch int32, ackTimeout int64, flags int32) int64

//go:wasmimport genehost gh_stream_detach
func ghStreamDetach(link uint64, s unsafe.Pointer, sn uint32, g unsafe.Pointer, gn uint32) int32

//go:wasmimport genehost gh_stream_ack
func ghStreamAck(s unsafe.Pointer, sn uint32, g unsafe.Pointer, gn uint32, seq uint64) int32

//go:wasmimport genehost gh_stream_reset
func ghStreamReset(s unsafe.Pointer, sn uint32, g unsafe.Pointer, gn uint32, seq uint64) int64

//go:wasmimport genehost gh_stream_trim
func ghStreamTrim(s unsafe.Pointer, sn uint32, through uint64, o unsafe.Pointer) int32

//go:wasmimport genehost gh_stream_info
func ghStreamInfo(o unsafe.Pointer, ocap uint32) int64

//go:wasmimport genehost gh_topic_publish
func ghTopicPublish(t unsafe.Pointer, tn uint32, v unsafe.Pointer, vn uint32) int64

//go:wasmimport genehost gh_topic_subscribe
func ghTopicSubscribe(link uint64, t unsafe.Pointer, tn uint32) int32

//go:wasmimport genehost gh_topic_unsubscribe
func ghTopicUnsubscribe(link uint64, t unsafe.Pointer, tn uint32) int32

func callStreamPublish(stream string, v []byte) int64 {
	return ghStreamPublish(sp(stream), uint32(len(stream)), bp(v), uint32(len(v)))
}

func callStreamPublishBatch(recs []byte, count int, out []byte) abi.Status {
	return abi.Status(ghStreamPublishBatch(bp(recs), uint32(len(recs)), uint32(count), bp(out)))
}

func callStreamAttach(link uint64, stream, group string, prefetch int32, ackTimeout int64, flags int32) int64 {
	return ghStreamAttach(link, sp(stream), uint32(len(stream)), sp(group), uint32(len(group)), prefetch, ackTimeout, flags)
}

func callStreamDetach(link uint64, stream, group string) abi.Status {
	return abi.Status(ghStreamDetach(link, sp(stream), uint32(len(stream)), sp(group), uint32(len(group))))
}

func callStreamAck(stream, group string, seq uint64) abi.Status {
	return abi.Status(ghStreamAck(sp(stream), uint32(len(stream)), sp(group), uint32(len(group)), seq))
}

func callStreamReset(stream, group string, seq uint64) int64 {
	return ghStreamReset(sp(stream), uint32(len(stream)), sp(group), uint32(len(group)), seq)
}

func callStreamTrim(stream string, through uint64, out []byte) abi.Status {
	return abi.Status(ghStreamTrim(sp(stream), uint32(len(stream)), through, bp(out)))
}

func callStreamInfo(out []byte) int64 { return ghStreamInfo(bp(out), uint32(len(out))) }

func callTopicPublish(topic string, v []byte) int64 {
	return ghTopicPublish(sp(topic), uint32(len(topic)), bp(v), uint32(len(v)))
}

func callTopicSubscribe(link uint64, topic string) abi.Status {
	return abi.Status(ghTopicSubscribe(link, sp(topic), uint32(len(topic))))
}

func callTopicUnsubscribe(link uint64, topic string) abi.Status {
	return abi.Status(ghTopicUnsubscribe(link, sp(topic), uint32(len(topic))))
}
