//go:build !wasip1

package guest

import "github.com/genehost/genehost/abi"

// Outside wasip1 there is no host: every call fails (hostErr returns
// ErrNotWasm), so the package still builds for tools and tests.

const isWasm = false

func callResult([]byte)                            {}
func callResultString(string)                      {}
func callError([]byte) int                         { return 0 }
func callResume(uint64)                            {}
func callTimerSet(int64) int64                     { return -int64(abi.Error) }
func callTimerCancel(uint64)                       {}
func callKVDelete([]byte) abi.Status               { return abi.Error }
func callSend(uint64, []byte, bool) abi.Status     { return abi.Error }
func callCloseLink(uint64, string) abi.Status      { return abi.Error }
func callLog(int32, uint64, string)                {}
func callKVGet(_, _ []byte) int64                  { return -int64(abi.Error) }
func callKVPut(_, _ []byte) abi.Status             { return abi.Error }
func callKVScan(_, _, _ []byte) int64              { return -int64(abi.Error) }
func callKVCAS(_, _, _, _ []byte) int64            { return -int64(abi.Error) }
func callKVIncr([]byte, int64) (int64, abi.Status) { return 0, abi.Error }
