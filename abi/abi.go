package abi

import (
	"fmt"
	"strconv"
	"strings"
)

// The ABI version this package describes (ABI.md section 2). A host
// accepts a guest of the same Major and any Minor whose imports it
// provides. Minor 1 added gh_kv_cas and gh_kv_incr, minor 2 the store
// watches (gh_kv_watch, gh_kv_watch_next, gh_kv_unwatch), minor 3 the
// streams and topics (gh_stream_*, gh_topic_*).
const (
	Major = 1
	Minor = 3
)

// Version returns "MAJOR.MINOR".
func Version(major, minor int) string {
	return strconv.Itoa(major) + "." + strconv.Itoa(minor)
}

// MarkerPrefix starts the name of the version marker export:
// genehost_abi_<major>_<minor>.
const MarkerPrefix = "genehost_abi_"

// MarkerName returns the marker export name for a version, for example
// "genehost_abi_1_0".
func MarkerName(major, minor int) string {
	return MarkerPrefix + strconv.Itoa(major) + "_" + strconv.Itoa(minor)
}

// ParseMarker reads the version from a marker export name. It fails when
// name does not start with MarkerPrefix or the rest is not two decimal
// numbers without leading zeros joined by "_".
func ParseMarker(name string) (major, minor int, err error) {
	rest, ok := strings.CutPrefix(name, MarkerPrefix)
	if !ok {
		return 0, 0, fmt.Errorf("abi: %q is not a version marker (want %s<major>_<minor>)", name, MarkerPrefix)
	}
	ma, mi, ok := strings.Cut(rest, "_")
	if ok {
		major, ok = parseDecimal(ma)
	}
	if ok {
		minor, ok = parseDecimal(mi)
	}
	if !ok {
		return 0, 0, fmt.Errorf("abi: malformed version marker %q (want %s<major>_<minor>, decimal, no leading zeros)", name, MarkerPrefix)
	}
	return major, minor, nil
}

func parseDecimal(s string) (int, bool) {
	if s == "" || len(s) > 6 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// ValueType is a WebAssembly number type used by the ABI: only i32 and
// i64 appear.
type ValueType byte

// The two value types, with their WebAssembly binary encodings.
const (
	I32 ValueType = 0x7f
	I64 ValueType = 0x7e
)

func (t ValueType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	}
	return fmt.Sprintf("type(0x%02x)", byte(t))
}

// Func names one function of the ABI and its WebAssembly type.
type Func struct {
	Name    string
	Params  []ValueType
	Results []ValueType
}

// Signature returns the type as ABI.md writes it: "(i64, i32) -> (i32)".
func (f Func) Signature() string {
	return typeList(f.Params) + " -> " + typeList(f.Results)
}

func typeList(ts []ValueType) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Names of the module-level exports and the host module.
const (
	// HostModule is the import module name of the host functions.
	HostModule = "genehost"
	// WASIModule is the only other import module a guest may use.
	WASIModule = "wasi_snapshot_preview1"
	// Memory is the name of the exported linear memory.
	Memory = "memory"
	// Initialize is the reactor initialiser, called once per instance.
	Initialize = "_initialize"
	// Start is the command entry point; never called.
	Start = "_start"
)

// Guest export names (ABI.md section 4).
const (
	ExportBuffer    = "gh_buffer"
	ExportOnOpen    = "gh_on_open"
	ExportOnValues  = "gh_on_values"
	ExportOnControl = "gh_on_control"
	ExportOnClose   = "gh_on_close"
	ExportOnTimer   = "gh_on_timer"
)

// Host import names in module HostModule (ABI.md section 5).
const (
	ImportResult      = "gh_result"
	ImportError       = "gh_error"
	ImportSend        = "gh_send"
	ImportTrySend     = "gh_try_send"
	ImportCloseLink   = "gh_close_link"
	ImportResume      = "gh_resume"
	ImportLog         = "gh_log"
	ImportKVGet       = "gh_kv_get"
	ImportKVPut       = "gh_kv_put"
	ImportKVDelete    = "gh_kv_delete"
	ImportKVScan      = "gh_kv_scan"
	ImportKVCAS       = "gh_kv_cas"        // since 1.1
	ImportKVIncr      = "gh_kv_incr"       // since 1.1
	ImportKVWatch     = "gh_kv_watch"      // since 1.2
	ImportKVWatchNext = "gh_kv_watch_next" // since 1.2
	ImportKVUnwatch   = "gh_kv_unwatch"    // since 1.2
	ImportTimerSet    = "gh_timer_set"
	ImportTimerCancel = "gh_timer_cancel"

	ImportStreamPublish      = "gh_stream_publish"       // since 1.3
	ImportStreamPublishBatch = "gh_stream_publish_batch" // since 1.3
	ImportStreamAttach       = "gh_stream_attach"        // since 1.3
	ImportStreamDetach       = "gh_stream_detach"        // since 1.3
	ImportStreamAck          = "gh_stream_ack"           // since 1.3
	ImportStreamReset        = "gh_stream_reset"         // since 1.3
	ImportStreamTrim         = "gh_stream_trim"          // since 1.3
	ImportStreamInfo         = "gh_stream_info"          // since 1.3
	ImportTopicPublish       = "gh_topic_publish"        // since 1.3
	ImportTopicSubscribe     = "gh_topic_subscribe"      // since 1.3
	ImportTopicUnsubscribe   = "gh_topic_unsubscribe"    // since 1.3
)

func sig(name string, params []ValueType, results ...ValueType) Func {
	return Func{Name: name, Params: params, Results: results}
}

func ts(t ...ValueType) []ValueType { return t }

// Exports returns the functions every guest must export besides the
// version marker, in the order ABI.md lists them.
func Exports() []Func {
	return []Func{
		sig(Initialize, nil),
		sig(ExportBuffer, ts(I32), I32),
		sig(ExportOnOpen, ts(I64, I32), I32),
		sig(ExportOnValues, ts(I64, I32, I32), I32),
		sig(ExportOnControl, ts(I64, I32), I32),
		sig(ExportOnClose, ts(I64, I32), I32),
		sig(ExportOnTimer, ts(I64), I32),
	}
}

// Marker returns the version marker export of a version.
func Marker(major, minor int) Func { return sig(MarkerName(major, minor), nil, I32) }

// MarkerValue is what the marker function returns: major<<16 | minor.
func MarkerValue(major, minor int) int32 { return int32(major<<16 | minor) }

// Imports returns the host functions of module HostModule in this version.
func Imports() []Func {
	return []Func{
		sig(ImportResult, ts(I32, I32)),
		sig(ImportError, ts(I32, I32), I32),
		sig(ImportSend, ts(I64, I32, I32), I32),
		sig(ImportTrySend, ts(I64, I32, I32), I32),
		sig(ImportCloseLink, ts(I64, I32, I32), I32),
		sig(ImportResume, ts(I64)),
		sig(ImportLog, ts(I32, I64, I32, I32)),
		sig(ImportKVGet, ts(I32, I32, I32, I32), I64),
		sig(ImportKVPut, ts(I32, I32, I32, I32), I32),
		sig(ImportKVDelete, ts(I32, I32), I32),
		sig(ImportKVScan, ts(I32, I32, I32, I32, I32, I32, I32), I64),
		sig(ImportKVCAS, ts(I32, I32, I32, I32, I32, I32, I32, I32, I32), I64),
		sig(ImportKVIncr, ts(I32, I32, I64, I32), I32),
		sig(ImportTimerSet, ts(I64), I64),
		sig(ImportTimerCancel, ts(I64)),
		sig(ImportKVWatch, ts(I32, I32), I64),
		sig(ImportKVWatchNext, ts(I64, I32, I32), I64),
		sig(ImportKVUnwatch, ts(I64)),
		sig(ImportStreamPublish, ts(I32, I32, I32, I32), I64),
		sig(ImportStreamPublishBatch, ts(I32, I32, I32, I32), I32),
		sig(ImportStreamAttach, ts(I64, I32, I32, I32, I32, I32, I64, I32), I64),
		sig(ImportStreamDetach, ts(I64, I32, I32, I32, I32), I32),
		sig(ImportStreamAck, ts(I32, I32, I32, I32, I64), I32),
		sig(ImportStreamReset, ts(I32, I32, I32, I32, I64), I64),
		sig(ImportStreamTrim, ts(I32, I32, I64, I32), I32),
		sig(ImportStreamInfo, ts(I32, I32), I64),
		sig(ImportTopicPublish, ts(I32, I32, I32, I32), I64),
		sig(ImportTopicSubscribe, ts(I64, I32, I32), I32),
		sig(ImportTopicUnsubscribe, ts(I64, I32, I32), I32),
	}
}

// AttachLatest is the flag of gh_stream_attach that makes a group that
// does not exist yet start after the last message instead of at the
// first.
const AttachLatest int32 = 1 << 0

// TrimOutSize is the size of gh_stream_trim's output: the bound applied
// and the number of messages deleted, two little-endian uint64.
const TrimOutSize = 16

// PublishBatchOutSize returns the size of gh_stream_publish_batch's
// output for count entries: a little-endian uint64 sequence number each.
func PublishBatchOutSize(count int) int { return 8 * count }

// Flags of gh_kv_cas (ABI.md section 5).
const (
	// CASExpect: the key is expected to hold the bytes [eptr, +elen);
	// without it the key is expected to be absent.
	CASExpect int32 = 1 << 0
	// CASPut: on a match, store [nptr, +nlen); without it a match deletes
	// the key.
	CASPut int32 = 1 << 1
)

// IncrOutSize is the size of gh_kv_incr's output: the new value, a
// little-endian int64.
const IncrOutSize = 8

// Log levels of gh_log. Other numbers are logged as LevelInfo.
const (
	LevelTrace int32 = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

var levelNames = [...]string{"trace", "debug", "info", "warn", "error"}

// LevelName returns the host log level name of a gh_log level: "trace",
// "debug", "info", "warn" or "error" ("info" for unknown numbers).
func LevelName(level int32) string {
	if level < 0 || int(level) >= len(levelNames) {
		return "info"
	}
	return levelNames[level]
}

// LevelOf returns the gh_log level for a name; unknown names are
// LevelInfo.
func LevelOf(name string) int32 {
	for i, n := range levelNames {
		if n == name {
			return int32(i)
		}
	}
	return LevelInfo
}

// BufferMin is the smallest exchange buffer a host asks for; it rounds
// larger requests up to a power of two.
const BufferMin = 4096

// BufferSize returns the size a host asks gh_buffer for when it needs n
// bytes: n rounded up to a power of two, at least BufferMin.
func BufferSize(n int) int {
	size := BufferMin
	for size < n && size < 1<<30 {
		size <<= 1
	}
	if size < n {
		return n
	}
	return size
}
