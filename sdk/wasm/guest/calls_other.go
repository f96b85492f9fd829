//go:build !wasip1

package guest

import "github.com/genehost/genehost/abi"

// Outside wasip1 there is no host: every call fails (hostErr returns
// ErrNotWasm), so the package still builds for tools and tests, unless a
// TestHost is active (NewTestHost), which then answers them in-process.

const isWasm = false

func callResult([]byte)       {}
func callResultString(string) {}

func callError(buf []byte) int {
	if active == nil {
		return 0
	}
	return copy(buf, active.lastErr)
}

func callResume(id uint64) {
	if active != nil {
		active.resumed = append(active.resumed, id)
	}
}

func callTimerSet(d int64) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.timerSet(d)
}

func callTimerCancel(id uint64) {
	if active != nil {
		delete(active.timers, id)
	}
}

func callKVDelete(k []byte) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.kvDelete(k)
}

func callSend(link uint64, v []byte, try bool) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.send(link, v)
}

func callCloseLink(link uint64, reason string) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.closeLink(link, reason)
}

func callLog(level int32, link uint64, msg string) {
	if active != nil {
		active.log(level, link, msg)
	}
}

func callKVGet(k, buf []byte) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.kvGet(k, buf)
}

func callKVPut(k, v []byte) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.kvPut(k, v)
}

func callKVScan(prefix, after, buf []byte) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.kvScan(prefix, after, buf)
}

func callKVCAS(k, expect, next, buf []byte) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.kvCAS(k, expect, next, buf)
}

func callKVIncr(k []byte, by int64) (int64, abi.Status) {
	if active == nil {
		return 0, abi.Error
	}
	return active.kvIncr(k, by)
}

// Store watches need a real host: the TestHost does not deliver them.
func callKVWatch([]byte) int64             { return -int64(abi.NotGranted) }
func callKVWatchNext(uint64, []byte) int64 { return -int64(abi.NotGranted) }
func callKVUnwatch(uint64)                 {}

// The streams and topics of ABI 1.3, answered by the active TestHost.

func callStreamPublish(stream string, v []byte) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.streamPublish([]testEntry{{stream, v}}, nil)
}

func callStreamPublishBatch(recs []byte, count int, out []byte) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.streamPublishBatch(recs, count, out)
}

func callStreamAttach(link uint64, stream, group string, prefetch int32, _ int64, flags int32) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.streamAttach(link, stream, group, int(prefetch), flags&abi.AttachLatest != 0)
}

func callStreamDetach(link uint64, stream, group string) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.streamDetach(link, stream, group)
}

func callStreamAck(stream, group string, seq uint64) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.streamAck(stream, group, seq)
}

func callStreamReset(stream, group string, seq uint64) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.streamReset(stream, group, seq)
}

func callStreamTrim(stream string, through uint64, out []byte) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.streamTrim(stream, through, out)
}

func callStreamInfo(out []byte) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.streamInfo(out)
}

func callTopicPublish(topic string, v []byte) int64 {
	if active == nil {
		return -int64(abi.Error)
	}
	return active.topicPublish(topic, v)
}

func callTopicSubscribe(link uint64, topic string) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.topicSubscribe(link, topic)
}

func callTopicUnsubscribe(link uint64, topic string) abi.Status {
	if active == nil {
		return abi.Error
	}
	return active.topicUnsubscribe(link, topic)
}
