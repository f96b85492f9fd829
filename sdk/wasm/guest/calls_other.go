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
