/*
 * genehost.h: the C SDK for genehost WebAssembly plugins, ABI version 1.3.
 *
 * A single-header library for clang and wasi-libc (Debian: clang, lld,
 * wasi-libc, libclang-rt-dev-wasm32; tools/wasi-toolchain.sh installs
 * them). It declares the host functions of ABI.md section 5 with their
 * import names, the callbacks of section 4 with their export names, and
 * small readers and writers of the binary Gene encoding (gene/BINARY.md)
 * for the values plugins handle most: nil, void, booleans, integers,
 * floats, strings, symbols, chars, bytes, lists, prop maps, general maps
 * and nodes. Every other value (big integers, regexes, dates and times) can
 * be skipped, copied and passed on whole.
 *
 * Use: in exactly one .c file of the plugin,
 *
 *     #define GENEHOST_IMPLEMENTATION
 *     #include "genehost.h"
 *
 * which defines the exchange buffer (gh_buffer) and the version marker
 * (genehost_abi_1_3). The plugin defines the five callbacks gh_on_open,
 * gh_on_values, gh_on_control, gh_on_close and gh_on_timer; to take the
 * default of one instead, define GH_DEFAULT_ON_OPEN (accept every link),
 * GH_DEFAULT_ON_VALUES (drop the values), GH_DEFAULT_ON_CONTROL (fail with
 * "unknown op NAME"), GH_DEFAULT_ON_CLOSE or GH_DEFAULT_ON_TIMER (do
 * nothing) before the include. Build as a reactor:
 *
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 -o p.wasm p.c
 *
 * A request the plugin cannot serve is best answered with an error value
 * (gh_write_error) on the link, which goes on. Returning GH_ERROR from
 * gh_on_values ends the link with HANDLER_ERROR instead; the instance is
 * kept, with its other links.
 *
 * A trap (an out-of-bounds access, __builtin_trap, running out of the
 * linear memory capped by ^limits {^memory-mb N} or ^memory-pages) or a
 * callback past ^call-timeout-ms is a crash: the link, and in a pool
 * every link the instance kept state for, is reset with PLUGIN_FAILED and
 * the host makes a fresh instance. Crashes never mark the interface
 * failed; only a module that cannot be instantiated does. The plugin runs
 * inside the host unless its config says ^isolation "process" (a worker
 * process under a memory ceiling of its own; see ABI.md).
 *
 * A plugin that imports none of the functions ABI 1.1, 1.2 and 1.3 added
 * (gh_kv_cas, gh_kv_incr; gh_kv_watch, gh_kv_watch_next, gh_kv_unwatch;
 * gh_stream_* and gh_topic_*) also loads on a 1.0 host, whatever its marker says: hosts check the
 * imports a plugin uses.
 *
 * The value helpers are static inline and need no implementation macro.
 * Nothing here is thread-safe, nor needs to be: the host calls an instance
 * from one thread at a time and never re-enters it.
 */
#ifndef GENEHOST_H
#define GENEHOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header implements (ABI.md section 2). */
#define GH_ABI_MAJOR 1
#define GH_ABI_MINOR 3

#define GH__STR2(x) #x
#define GH__STR(x) GH__STR2(x)
/* GH_ABI_MARKER is the name of the version marker export. */
#define GH_ABI_MARKER "genehost_abi_" GH__STR(GH_ABI_MAJOR) "_" GH__STR(GH_ABI_MINOR)

#define GH_IMPORT(name) __attribute__((import_module("genehost"), import_name(name)))
#define GH_EXPORT(name) __attribute__((export_name(name)))
#define GH_INLINE static inline __attribute__((unused))

/* Status codes (ABI.md section 3): callback results and host call results.
 * A host call that returns an i64 reports a failure as the negated code. */
enum {
	GH_OK = 0,
	GH_PAUSE = 1,         /* gh_on_values only: hold the link until gh_resume */
	GH_ERROR = 2,         /* failed; the message is in gh_result / gh_error */
	GH_NO_CREDIT = 3,     /* gh_try_send: the peer has no room; nothing sent */
	GH_LINK_CLOSED = 4,   /* the link is closed or unknown */
	GH_DIRECTION = 5,     /* the link's direction does not allow sending */
	GH_NOT_GRANTED = 6,   /* the operator did not grant the capability */
	GH_NOT_FOUND = 7,     /* key-value: no such key */
	GH_BAD_VALUE = 8,     /* not one valid value, over a limit, or out of memory range */
	GH_TIMEOUT = 9,       /* a blocking call gave up at the callback's deadline */
	GH_SHORT_BUFFER = 10, /* the output does not fit; retry with more room */
	GH_NOT_DELIVERED = 11, /* since 1.3: gh_stream_ack of a message the group was never sent */
	GH_BAD_NAME = 12       /* since 1.3: a stream, group or topic name outside 1 to 128 of A-Z a-z 0-9 _ . - */
};

/* Flags of gh_stream_attach. */
enum {
	GH_ATTACH_LATEST = 1 /* a new group starts after the last message, not at the first */
};

/* Flags of gh_kv_cas. */
enum {
	GH_CAS_EXPECT = 1, /* the key must hold [expect, +elen); without it: must be absent */
	GH_CAS_PUT = 2     /* on a match store [next, +nlen); without it: delete the key */
};

/* Log levels of gh_log. */
enum { GH_LOG_TRACE = 0, GH_LOG_DEBUG = 1, GH_LOG_INFO = 2, GH_LOG_WARN = 3, GH_LOG_ERROR = 4 };

/* ---- Host imports (ABI.md section 5), module "genehost" ----------------
 * Pointers are addresses in this module's memory; the host reads or writes
 * them before returning and keeps none of them. Link 0 means "no link". */

/* Sets the current callback's result: the error message (text) of a
 * callback returning GH_ERROR, or the result value of gh_on_control. */
GH_IMPORT("gh_result") void gh_result(const void *ptr, uint32_t len);
/* Copies the message of the last failed host call of this callback to
 * [ptr, ptr+cap), truncated; returns its full length (0: none). */
GH_IMPORT("gh_error") uint32_t gh_error(void *ptr, uint32_t cap);
/* Sends one encoded value toward the client, waiting for credit until the
 * callback's deadline. */
GH_IMPORT("gh_send") int32_t gh_send(uint64_t link, const void *ptr, uint32_t len);
/* As gh_send, but GH_NO_CREDIT instead of waiting. */
GH_IMPORT("gh_try_send") int32_t gh_try_send(uint64_t link, const void *ptr, uint32_t len);
/* Closes a data link with a reason (len 0: orderly). */
GH_IMPORT("gh_close_link") int32_t gh_close_link(uint64_t link, const void *reason, uint32_t len);
/* Undoes a GH_PAUSE returned from gh_on_values for link. */
GH_IMPORT("gh_resume") void gh_resume(uint64_t link);
/* Writes a line to the host log, tagged with plugin, version and link. */
GH_IMPORT("gh_log") void gh_log(int32_t level, uint64_t link, const void *ptr, uint32_t len);
/* Reads a key: n >= 0 is the value's length (copied when n <= vcap);
 * n < 0: -n is GH_NOT_FOUND, GH_NOT_GRANTED, GH_BAD_VALUE or GH_ERROR. */
GH_IMPORT("gh_kv_get") int64_t gh_kv_get(const void *key, uint32_t klen, void *val, uint32_t vcap);
/* Stores a value durably. */
GH_IMPORT("gh_kv_put") int32_t gh_kv_put(const void *key, uint32_t klen, const void *val, uint32_t vlen);
/* Deletes a key: GH_OK (deleted) or GH_NOT_FOUND (was absent). */
GH_IMPORT("gh_kv_delete") int32_t gh_kv_delete(const void *key, uint32_t klen);
/* Lists keys starting with prefix that sort after `after`, as records
 * (klen u32 LE, key, vlen u32 LE, value); returns the bytes written, 0 at
 * the end, or -status (GH_SHORT_BUFFER: the next record needs more room).
 * gh_scan_next walks the records. */
GH_IMPORT("gh_kv_scan") int64_t gh_kv_scan(const void *prefix, uint32_t plen, const void *after, uint32_t alen,
                                           uint32_t limit, void *out, uint32_t ocap);
/* Since ABI 1.1. Compare-and-swap, atomic with every other key-value call
 * of the plugin (all its instances and versions): if the key holds exactly
 * [expect, +elen) (flag GH_CAS_EXPECT; without it: if it is absent), store
 * [next, +nlen) (flag GH_CAS_PUT; without it: delete the key). Returns 0
 * when it applied; n > 0 when it did not and the key holds n - 1 bytes,
 * copied to cur when n - 1 <= ccap; -GH_NOT_FOUND when it did not and the
 * key is absent; or -status. Bytes compare byte for byte. gh_cas wraps it. */
GH_IMPORT("gh_kv_cas") int64_t gh_kv_cas(const void *key, uint32_t klen, const void *expect, uint32_t elen,
                                         const void *next, uint32_t nlen, int32_t flags, void *cur, uint32_t ccap);
/* Since ABI 1.1. Adds by to the integer stored under the key (absent: 0),
 * atomically as gh_kv_cas, and writes the new value to *out. The stored
 * form is a binary Gene document holding an integer (gh_kv_get_int reads
 * it). GH_OK; GH_BAD_VALUE when the key holds anything else or the sum
 * overflows (nothing changed); GH_NOT_GRANTED; GH_ERROR. */
GH_IMPORT("gh_kv_incr") int32_t gh_kv_incr(const void *key, uint32_t klen, int64_t by, int64_t *out);
/* Since ABI 1.2. Watches the keys starting with [prefix, +plen) (plen 0:
 * every key): every change committed from now on, by anyone, is kept for
 * the instance, and while changes wait the host calls gh_on_timer(id)
 * (watch and timer ids never collide). Returns id > 0, or -status
 * (GH_NOT_GRANTED without the kv grant). The watch ends with the instance. */
GH_IMPORT("gh_kv_watch") int64_t gh_kv_watch(const void *prefix, uint32_t plen);
/* Since ABI 1.2. Writes the watch's waiting changes, oldest first, as
 * records to [out, +ocap): a put as a gh_kv_scan record, a delete as the
 * key with vlen 0xFFFFFFFF and no value (gh_scan_next gives vlen
 * GH_WATCH_DELETED), and an empty key with vlen 0 first when changes were
 * dropped (re-read what you watch). Returns the bytes written, 0 when
 * nothing waits, or -status (GH_SHORT_BUFFER: the next record needs more
 * room). Call it until it returns 0: the host wakes the guest only then. */
GH_IMPORT("gh_kv_watch_next") int64_t gh_kv_watch_next(uint64_t id, void *out, uint32_t ocap);
/* Since ABI 1.2. Ends a watch (no effect when it is not open). */
GH_IMPORT("gh_kv_unwatch") void gh_kv_unwatch(uint64_t id);
/* Arranges gh_on_timer(id) after delay_ns; id > 0, or -status. */
GH_IMPORT("gh_timer_set") int64_t gh_timer_set(int64_t delay_ns);
/* Cancels a timer (no effect when it fired or is unknown). */
GH_IMPORT("gh_timer_cancel") void gh_timer_cancel(uint64_t id);

/* Streams and topics (since ABI 1.3; ABI.md "Streams"), with
 * ^grants {^streams true}. Names are text, 1 to 128 of A-Z a-z 0-9 _ . -
 * (else GH_BAD_NAME); values are one encoded Gene value each. The host
 * pushes a stream's messages to the links attached to its group, and a
 * topic's to its subscribers, without calling the plugin:
 * (message ^topic S ^group G ^seq N ^value V ^attempt A) and
 * (message ^topic T ^value V). Failures: GH_NOT_GRANTED, GH_BAD_NAME,
 * GH_BAD_VALUE, GH_LINK_CLOSED, GH_ERROR (negated for an i64 result).
 *
 * Appends a value to a stream, durably; returns its seq (from 1). */
GH_IMPORT("gh_stream_publish") int64_t gh_stream_publish(const char *stream, uint32_t slen, const void *val, uint32_t vlen);
/* Appends count entries in one durable commit: records (slen: u32 LE,
 * stream, vlen: u32 LE, value), the layout of gh_kv_scan's. Their seqs go
 * to seqs (count little-endian uint64). */
GH_IMPORT("gh_stream_publish_batch") int32_t gh_stream_publish_batch(const void *recs, uint32_t rlen, uint32_t count, uint64_t *seqs);
/* Makes link a consumer of group (made at the first attach; with
 * GH_ATTACH_LATEST after the last message): the host pushes it at most
 * prefetch unacknowledged messages (0: 16; at most 1024), again after
 * ack_timeout_ns (0: 30 s) without an ack. Returns the group's
 * acknowledged position, or -status. Attaching again changes the options. */
GH_IMPORT("gh_stream_attach") int64_t gh_stream_attach(uint64_t link, const char *stream, uint32_t slen, const char *group, uint32_t glen,
                                                       int32_t prefetch, int64_t ack_timeout_ns, int32_t flags);
/* Ends link's membership: GH_OK, or GH_NOT_FOUND when it had none. */
GH_IMPORT("gh_stream_detach") int32_t gh_stream_detach(uint64_t link, const char *stream, uint32_t slen, const char *group, uint32_t glen);
/* Acknowledges message seq for group; GH_NOT_DELIVERED when the group was
 * never sent it. */
GH_IMPORT("gh_stream_ack") int32_t gh_stream_ack(const char *stream, uint32_t slen, const char *group, uint32_t glen, uint64_t seq);
/* Moves group so its next message is seq (clamped); returns the seq
 * applied, or -status. */
GH_IMPORT("gh_stream_reset") int64_t gh_stream_reset(const char *stream, uint32_t slen, const char *group, uint32_t glen, uint64_t seq);
/* Deletes messages up to through, never one a group has not acknowledged;
 * out[0] is the bound applied, out[1] how many were deleted. */
GH_IMPORT("gh_stream_trim") int32_t gh_stream_trim(const char *stream, uint32_t slen, uint64_t through, uint64_t out[2]);
/* Writes the streams as one value, [{^stream S ^head N ^groups [{^group G
 * ^acked N ^consumers N ^unacked N}]}]: n >= 0 its length, copied when
 * n <= ocap (else call again with room for n); n < 0: -status. */
GH_IMPORT("gh_stream_info") int64_t gh_stream_info(void *out, uint32_t ocap);
/* Sends a value to a topic's subscribers (nothing is kept); returns how
 * many links of this host it went to, or -status. */
GH_IMPORT("gh_topic_publish") int64_t gh_topic_publish(const char *topic, uint32_t tlen, const void *val, uint32_t vlen);
/* Subscribes link to a topic. */
GH_IMPORT("gh_topic_subscribe") int32_t gh_topic_subscribe(uint64_t link, const char *topic, uint32_t tlen);
/* Unsubscribes link: GH_OK, or GH_NOT_FOUND when it was not subscribed. */
GH_IMPORT("gh_topic_unsubscribe") int32_t gh_topic_unsubscribe(uint64_t link, const char *topic, uint32_t tlen);

/* ---- Guest exports (ABI.md section 4) ----------------------------------
 * The plugin defines these (or takes a GH_DEFAULT_ON_*). Input is in the
 * exchange buffer, gh_input(), len bytes; it is the guest's to overwrite
 * during the callback and is overwritten by the host before the next. */

/* A data link opened; input: the link info (gh_read_link_info).
 * GH_OK accepts it, GH_ERROR rejects it. */
GH_EXPORT("gh_on_open") int32_t gh_on_open(uint64_t link, uint32_t len);
/* count >= 1 values arrived on link, back to back in len bytes.
 * GH_OK, GH_PAUSE or GH_ERROR. */
GH_EXPORT("gh_on_values") int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len);
/* A control operation; input: the op name (a symbol) then its argument
 * (gh_read_control). link is 0 for interface-wide operations. GH_OK with
 * the result set by gh_result (none: nil), or GH_ERROR. */
GH_EXPORT("gh_on_control") int32_t gh_on_control(uint64_t link, uint32_t len);
/* The link closed; input: the reason as text (len 0: orderly). */
GH_EXPORT("gh_on_close") int32_t gh_on_close(uint64_t link, uint32_t len);
/* A timer set with gh_timer_set fired. */
GH_EXPORT("gh_on_timer") int32_t gh_on_timer(uint64_t id);

/* The exchange buffer (defined with GENEHOST_IMPLEMENTATION). */
GH_EXPORT("gh_buffer") uint8_t *gh_buffer(uint32_t size);
/* gh_input returns the start of the exchange buffer: the callback's input. */
uint8_t *gh_input(void);

/* ---- Small helpers -----------------------------------------------------*/

/* gh_fail sets msg (a C string) as the callback's error and returns
 * GH_ERROR, for `return gh_fail("bad request");`. */
GH_INLINE int32_t gh_fail(const char *msg) {
	gh_result(msg, (uint32_t)strlen(msg));
	return GH_ERROR;
}

/* gh_last_error copies the message of the last failed host call into buf
 * (cap > 0) as a C string, truncated to fit, and returns buf. */
GH_INLINE char *gh_last_error(char *buf, uint32_t cap) {
	uint32_t n = gh_error(buf, cap - 1);
	if (n > cap - 1) n = cap - 1;
	buf[n] = 0;
	return buf;
}

/* gh_logs logs a C string. */
GH_INLINE void gh_logs(int32_t level, uint64_t link, const char *msg) {
	gh_log(level, link, msg, (uint32_t)strlen(msg));
}

/* gh_eq reports whether the n bytes at s equal the C string lit. */
GH_INLINE int gh_eq(const char *s, uint32_t n, const char *lit) {
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* GH_LIT expands a string literal to its pointer and length. */
#define GH_LIT(s) (s), (uint32_t)(sizeof(s) - 1)

/* ---- Reading the binary Gene encoding (gene/BINARY.md) -----------------
 * A gh_reader is a cursor over encoded bytes; copy it freely (it is two
 * pointers) to look ahead or to come back. Each gh_read_* returns 0 and moves
 * past what it read, or returns -1 and leaves the reader as it was: when
 * the next value is of another kind (gh_peek tells the kind first) or is
 * cut short. Strings, symbols, keys and bytes are returned as pointers into
 * the input, not NUL-terminated, valid as long as the input is.
 *
 * The reader checks bounds, not canonical form: it never reads outside its
 * input, and trusts the host, whose decoder has already checked every
 * value it delivers. */

typedef struct gh_reader {
	const uint8_t *p;   /* next byte */
	const uint8_t *end; /* end of the input */
} gh_reader;

typedef enum gh_kind {
	GH_INVALID = 0, /* the end of the input, a reserved tag, or cut short */
	GH_NIL,
	GH_VOID,
	GH_BOOL,
	GH_INT, /* includes big integers; gh_read_int reads those in int64 range */
	GH_FLOAT,
	GH_STRING,
	GH_SYMBOL,
	GH_CHAR,
	GH_LIST,  /* mutable [..] or immutable #[..] */
	GH_PROPS, /* prop map {^k v}, mutable or immutable */
	GH_MAP,   /* general map {{k : v}} */
	GH_NODE,
	GH_BYTES,
	GH_REGEX,
	GH_DATE,
	GH_TIME,
	GH_DATETIME
} gh_kind;

GH_INLINE gh_reader gh_reader_of(const void *p, uint32_t len) {
	gh_reader r;
	r.p = (const uint8_t *)p;
	r.end = r.p + len;
	return r;
}

/* gh_more reports whether input is left. */
GH_INLINE int gh_more(const gh_reader *r) { return r->p < r->end; }

GH_INLINE gh_kind gh__kind_of(uint8_t t) {
	if (t <= 0x3F || t >= 0xE0) return GH_INT;
	if (t <= 0x5F) return GH_STRING;
	if (t <= 0x7F) return GH_SYMBOL;
	if (t <= 0x8F) return GH_LIST;
	if (t <= 0x9F) return GH_PROPS;
	switch (t) {
	case 0xC0: return GH_NIL;
	case 0xC1: return GH_VOID;
	case 0xC2: case 0xC3: return GH_BOOL;
	case 0xC4: case 0xC5: case 0xC6: return GH_INT;
	case 0xC7: return GH_FLOAT;
	case 0xC8: return GH_STRING;
	case 0xC9: return GH_SYMBOL;
	case 0xCA: return GH_CHAR;
	case 0xCB: case 0xD4: return GH_LIST;
	case 0xCC: case 0xD5: return GH_PROPS;
	case 0xCD: return GH_MAP;
	case 0xCE: return GH_NODE;
	case 0xCF: return GH_BYTES;
	case 0xD0: return GH_REGEX;
	case 0xD1: return GH_DATE;
	case 0xD2: return GH_TIME;
	case 0xD3: return GH_DATETIME;
	}
	return GH_INVALID;
}

/* gh_peek returns the kind of the next value without reading it. */
GH_INLINE gh_kind gh_peek(const gh_reader *r) {
	return r->p < r->end ? gh__kind_of(*r->p) : GH_INVALID;
}

/* gh_frozen reports whether the next value is an immutable list, prop map
 * or node (#[..], #{..}, #(..)). */
GH_INLINE int gh_frozen(const gh_reader *r) {
	if (r->p >= r->end) return 0;
	if (*r->p == 0xD4 || *r->p == 0xD5) return 1;
	return *r->p == 0xCE && r->end - r->p > 1 && (r->p[1] & 0x10);
}

/* gh__uvarint reads an unsigned LEB128 at *pp, at most 10 bytes. */
GH_INLINE int gh__uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= end) return -1;
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* gh__len reads a uvarint length that the input still has room for
 * (each unit needing at least `unit` bytes). */
GH_INLINE int gh__len(const uint8_t **pp, const uint8_t *end, uint64_t unit, uint32_t *out) {
	uint64_t n;
	if (gh__uvarint(pp, end, &n) < 0) return -1;
	if (n > (uint64_t)(end - *pp) / unit) return -1;
	*out = (uint32_t)n;
	return 0;
}

/* gh__str reads a uvarint length and that many bytes. */
GH_INLINE int gh__str(const uint8_t **pp, const uint8_t *end, const char **s, uint32_t *n) {
	if (gh__len(pp, end, 1, n) < 0) return -1;
	*s = (const char *)*pp;
	*pp += *n;
	return 0;
}

GH_INLINE int gh__skip(const uint8_t **pp, const uint8_t *end, int depth);

GH_INLINE int gh__skip_entries(const uint8_t **pp, const uint8_t *end, uint64_t n, int depth) {
	for (uint64_t i = 0; i < n; i++) {
		const char *k;
		uint32_t kn;
		if (gh__str(pp, end, &k, &kn) < 0 || gh__skip(pp, end, depth) < 0) return -1;
	}
	return 0;
}

GH_INLINE int gh__skip_values(const uint8_t **pp, const uint8_t *end, uint64_t n, int depth) {
	for (uint64_t i = 0; i < n; i++)
		if (gh__skip(pp, end, depth) < 0) return -1;
	return 0;
}

GH_INLINE int gh__skip_time(const uint8_t **pp, const uint8_t *end) {
	uint64_t x;
	if (*pp >= end) return -1;
	uint8_t flags = *(*pp)++;
	for (int i = 0; i < 4 + (flags & 1); i++)
		if (gh__uvarint(pp, end, &x) < 0) return -1;
	if (flags & 2) {
		const char *z;
		uint32_t zn;
		if (gh__str(pp, end, &z, &zn) < 0) return -1;
	}
	return 0;
}

/* GH_MAX_DEPTH bounds the nesting of containers gh_skip follows, as the
 * host's MaxDepth (default 256) does: a value inside 256 nested lists is
 * read, one inside 257 is not. depth counts the containers around the
 * value being skipped. */
#ifndef GH_MAX_DEPTH
#define GH_MAX_DEPTH 256
#endif

GH_INLINE int gh__skip(const uint8_t **pp, const uint8_t *end, int depth) {
	const uint8_t *p = *pp;
	uint64_t x;
	uint32_t n;
	const char *s;
	if (p >= end || depth > GH_MAX_DEPTH) return -1;
	uint8_t t = *p++;
	if (t <= 0x3F || t >= 0xE0 || (t >= 0xC0 && t <= 0xC3)) {
		/* fixint, nil, void, booleans: the tag is all */
	} else if (t <= 0x7F) { /* short string or symbol */
		n = t & 0x1F;
		if ((uint64_t)(end - p) < n) return -1;
		p += n;
	} else if (t <= 0x8F) {
		if (gh__skip_values(&p, end, t - 0x80, depth + 1) < 0) return -1;
	} else if (t <= 0x9F) {
		if (gh__skip_entries(&p, end, t - 0x90, depth + 1) < 0) return -1;
	} else {
		switch (t) {
		case 0xC4: case 0xCA:
			if (gh__uvarint(&p, end, &x) < 0) return -1;
			break;
		case 0xC5: case 0xC6: case 0xC8: case 0xC9: case 0xCF:
			if (gh__str(&p, end, &s, &n) < 0) return -1;
			break;
		case 0xC7:
			if (end - p < 8) return -1;
			p += 8;
			break;
		case 0xCB: case 0xD4:
			if (gh__len(&p, end, 1, &n) < 0 || gh__skip_values(&p, end, n, depth + 1) < 0) return -1;
			break;
		case 0xCC: case 0xD5:
			if (gh__len(&p, end, 2, &n) < 0 || gh__skip_entries(&p, end, n, depth + 1) < 0) return -1;
			break;
		case 0xCD:
			if (gh__len(&p, end, 2, &n) < 0 || gh__skip_values(&p, end, 2 * (uint64_t)n, depth + 1) < 0) return -1;
			break;
		case 0xCE: {
			if (p >= end) return -1;
			uint8_t f = *p++;
			if ((f & 0x01) && gh__skip(&p, end, depth + 1) < 0) return -1;
			if ((f & 0x02) && (gh__len(&p, end, 2, &n) < 0 || gh__skip_entries(&p, end, n, depth + 1) < 0)) return -1;
			if ((f & 0x04) && (gh__len(&p, end, 2, &n) < 0 || gh__skip_entries(&p, end, n, depth + 1) < 0)) return -1;
			if ((f & 0x08) && (gh__len(&p, end, 1, &n) < 0 || gh__skip_values(&p, end, n, depth + 1) < 0)) return -1;
			break;
		}
		case 0xD0:
			if (gh__str(&p, end, &s, &n) < 0 || gh__str(&p, end, &s, &n) < 0) return -1;
			break;
		case 0xD1: case 0xD3:
			for (int i = 0; i < 3; i++)
				if (gh__uvarint(&p, end, &x) < 0) return -1;
			if (t == 0xD3 && gh__skip_time(&p, end) < 0) return -1;
			break;
		case 0xD2:
			if (gh__skip_time(&p, end) < 0) return -1;
			break;
		default:
			return -1; /* reserved tag */
		}
	}
	*pp = p;
	return 0;
}

/* gh_skip moves past the next value, whatever its kind. */
GH_INLINE int gh_skip(gh_reader *r) { return gh__skip(&r->p, r->end, 0); }

/* gh_read_raw moves past the next value and returns its encoded bytes,
 * ready to send, store or write into another value with gh_write_raw. */
GH_INLINE int gh_read_raw(gh_reader *r, const uint8_t **p, uint32_t *n) {
	const uint8_t *start = r->p;
	if (gh_skip(r) < 0) return -1;
	*p = start;
	*n = (uint32_t)(r->p - start);
	return 0;
}

GH_INLINE int gh_read_nil(gh_reader *r) {
	if (gh_peek(r) != GH_NIL) return -1;
	r->p++;
	return 0;
}

GH_INLINE int gh_read_void(gh_reader *r) {
	if (gh_peek(r) != GH_VOID) return -1;
	r->p++;
	return 0;
}

GH_INLINE int gh_read_bool(gh_reader *r, int *b) {
	if (gh_peek(r) != GH_BOOL) return -1;
	*b = *r->p++ == 0xC3;
	return 0;
}

/* gh_read_int reads an integer that fits in int64 (fails on a big one). */
GH_INLINE int gh_read_int(gh_reader *r, int64_t *v) {
	if (r->p >= r->end) return -1;
	uint8_t t = *r->p;
	if (t <= 0x3F) {
		*v = t;
	} else if (t >= 0xE0) {
		*v = (int8_t)t;
	} else if (t == 0xC4) {
		const uint8_t *p = r->p + 1;
		uint64_t z;
		if (gh__uvarint(&p, r->end, &z) < 0) return -1;
		*v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
		r->p = p;
		return 0;
	} else {
		return -1;
	}
	r->p++;
	return 0;
}

/* gh_read_uint reads a non-negative integer up to 2^64-1 (a big
 * integer of at most 8 bytes included). */
GH_INLINE int gh_read_uint(gh_reader *r, uint64_t *v) {
	int64_t i;
	gh_reader c = *r;
	if (gh_read_int(&c, &i) == 0) {
		if (i < 0) return -1;
		*v = (uint64_t)i;
		*r = c;
		return 0;
	}
	if (r->p >= r->end || *r->p != 0xC5) return -1;
	const uint8_t *p = r->p + 1;
	const char *mag;
	uint32_t n;
	if (gh__str(&p, r->end, &mag, &n) < 0 || n > 8) return -1;
	uint64_t x = 0;
	for (uint32_t j = 0; j < n; j++) x = x << 8 | (uint8_t)mag[j];
	*v = x;
	r->p = p;
	return 0;
}

GH_INLINE int gh_read_float(gh_reader *r, double *v) {
	if (r->end - r->p < 9 || *r->p != 0xC7) return -1;
	uint64_t bits = 0;
	for (int i = 0; i < 8; i++) bits |= (uint64_t)r->p[1 + i] << (8 * i);
	memcpy(v, &bits, sizeof *v);
	r->p += 9;
	return 0;
}

/* gh__text reads a string (kind GH_STRING) or symbol (GH_SYMBOL). */
GH_INLINE int gh__text(gh_reader *r, gh_kind kind, const char **s, uint32_t *n) {
	if (gh_peek(r) != kind) return -1;
	const uint8_t *p = r->p;
	uint8_t t = *p++;
	if (t < 0x80) {
		*n = t & 0x1F;
		if ((uint64_t)(r->end - p) < *n) return -1;
		*s = (const char *)p;
		p += *n;
	} else if (gh__str(&p, r->end, s, n) < 0) {
		return -1;
	}
	r->p = p;
	return 0;
}

GH_INLINE int gh_read_string(gh_reader *r, const char **s, uint32_t *n) { return gh__text(r, GH_STRING, s, n); }
GH_INLINE int gh_read_symbol(gh_reader *r, const char **s, uint32_t *n) { return gh__text(r, GH_SYMBOL, s, n); }

/* gh_read_char reads a char as its Unicode code point. */
GH_INLINE int gh_read_char(gh_reader *r, uint32_t *cp) {
	if (gh_peek(r) != GH_CHAR) return -1;
	const uint8_t *p = r->p + 1;
	uint64_t v;
	if (gh__uvarint(&p, r->end, &v) < 0 || v > 0x10FFFF) return -1;
	*cp = (uint32_t)v;
	r->p = p;
	return 0;
}

GH_INLINE int gh_read_bytes(gh_reader *r, const uint8_t **b, uint32_t *n) {
	if (gh_peek(r) != GH_BYTES) return -1;
	const uint8_t *p = r->p + 1;
	const char *s;
	if (gh__str(&p, r->end, &s, n) < 0) return -1;
	*b = (const uint8_t *)s;
	r->p = p;
	return 0;
}

/* gh__count reads a container header: short tags hold the count. */
GH_INLINE int gh__count(gh_reader *r, gh_kind kind, uint8_t shortbase, uint64_t unit, uint32_t *count) {
	if (gh_peek(r) != kind) return -1;
	const uint8_t *p = r->p;
	uint8_t t = *p++;
	if (t >= shortbase && t <= shortbase + 0x0F) {
		*count = t - shortbase;
	} else if (gh__len(&p, r->end, unit, count) < 0) {
		return -1;
	}
	r->p = p;
	return 0;
}

/* gh_read_list reads a list's header; its count elements follow. */
GH_INLINE int gh_read_list(gh_reader *r, uint32_t *count) { return gh__count(r, GH_LIST, 0x80, 1, count); }

/* gh_read_props reads a prop map's header; count entries follow, each a
 * key (gh_read_key) then a value. */
GH_INLINE int gh_read_props(gh_reader *r, uint32_t *count) { return gh__count(r, GH_PROPS, 0x90, 2, count); }

/* gh_read_map reads a general map's header; count pairs follow, each a
 * key value then a value. */
GH_INLINE int gh_read_map(gh_reader *r, uint32_t *count) {
	if (gh_peek(r) != GH_MAP) return -1;
	const uint8_t *p = r->p + 1;
	if (gh__len(&p, r->end, 2, count) < 0) return -1;
	r->p = p;
	return 0;
}

/* gh_read_key reads the key of a prop entry (the name, without ^). */
GH_INLINE int gh_read_key(gh_reader *r, const char **s, uint32_t *n) {
	const uint8_t *p = r->p;
	if (gh__str(&p, r->end, s, n) < 0) return -1;
	r->p = p;
	return 0;
}

/* gh_find_prop looks for key among the count entries at entries (a
 * reader positioned at the first entry, as gh_read_props leaves it, or
 * the props or meta of a gh_node). On success *val is positioned at the
 * key's value. Returns -1 when absent. */
GH_INLINE int gh_find_prop(gh_reader entries, uint32_t count, const char *key, gh_reader *val) {
	for (uint32_t i = 0; i < count; i++) {
		const char *k;
		uint32_t kn;
		if (gh_read_key(&entries, &k, &kn) < 0) return -1;
		if (gh_eq(k, kn, key)) {
			*val = entries;
			return 0;
		}
		if (gh_skip(&entries) < 0) return -1;
	}
	return -1;
}

/* Node flag bits (gene/BINARY.md section 3). */
enum { GH_NODE_HEAD = 0x01, GH_NODE_PROPS = 0x02, GH_NODE_META = 0x04, GH_NODE_BODY = 0x08, GH_NODE_FROZEN = 0x10 };

/* gh_node is a decoded node header: where each part starts and how big it
 * is. head is valid when flags has GH_NODE_HEAD; props and meta are
 * positioned at their first entry, body at its first value. */
typedef struct gh_node {
	uint8_t flags;
	gh_reader head;
	uint32_t nprops, nmeta, nbody;
	gh_reader props, meta, body;
} gh_node;

/* gh_read_node reads a whole node, filling n with views of its parts. */
GH_INLINE int gh_read_node(gh_reader *r, gh_node *n) {
	if (gh_peek(r) != GH_NODE || r->end - r->p < 2) return -1;
	gh_reader c = gh_reader_of(r->p + 2, (uint32_t)(r->end - r->p - 2));
	gh_node v;
	memset(&v, 0, sizeof v);
	v.flags = r->p[1];
	v.head = c;
	if ((v.flags & GH_NODE_HEAD) && gh__skip(&c.p, c.end, 1) < 0) return -1;
	if (v.flags & GH_NODE_PROPS) {
		if (gh__len(&c.p, c.end, 2, &v.nprops) < 0) return -1;
		v.props = c;
		if (gh__skip_entries(&c.p, c.end, v.nprops, 1) < 0) return -1;
	}
	if (v.flags & GH_NODE_META) {
		if (gh__len(&c.p, c.end, 2, &v.nmeta) < 0) return -1;
		v.meta = c;
		if (gh__skip_entries(&c.p, c.end, v.nmeta, 1) < 0) return -1;
	}
	v.body = c;
	if (v.flags & GH_NODE_BODY) {
		if (gh__len(&c.p, c.end, 1, &v.nbody) < 0) return -1;
		v.body = c;
		if (gh__skip_values(&c.p, c.end, v.nbody, 1) < 0) return -1;
	}
	*n = v;
	r->p = c.p;
	return 0;
}

/* gh_node_is reports whether n's head is the symbol name, for dispatching
 * on messages such as (get ^key "k"). */
GH_INLINE int gh_node_is(const gh_node *n, const char *name) {
	gh_reader h = n->head;
	const char *s;
	uint32_t len;
	return (n->flags & GH_NODE_HEAD) && gh_read_symbol(&h, &s, &len) == 0 && gh_eq(s, len, name);
}

/* gh_link_info is what gh_on_open receives. Strings point into the
 * exchange buffer and are valid until the callback returns: copy what you
 * keep. meta is the raw value the client sent (nil when nothing). */
typedef struct gh_link_info {
	uint64_t id;
	const char *iface;
	uint32_t iface_len;
	const char *direction; /* "send", "recv" or "send+recv", from the server's side */
	uint32_t direction_len;
	const char *peer;
	uint32_t peer_len;
	const uint8_t *meta;
	uint32_t meta_len;
} gh_link_info;

/* gh_read_link_info decodes the link info prop map of gh_on_open; props it
 * does not know are skipped (a later minor version may add some). */
GH_INLINE int gh_read_link_info(const void *p, uint32_t len, gh_link_info *li) {
	static const uint8_t nil = 0xC0;
	gh_reader r = gh_reader_of(p, len);
	uint32_t n;
	memset(li, 0, sizeof *li);
	li->meta = &nil;
	li->meta_len = 1;
	if (gh_read_props(&r, &n) < 0) return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *k;
		uint32_t kn;
		if (gh_read_key(&r, &k, &kn) < 0) return -1;
		if (gh_eq(k, kn, "id") && gh_peek(&r) == GH_INT) {
			if (gh_read_uint(&r, &li->id) < 0) return -1;
		} else if (gh_eq(k, kn, "interface") && gh_peek(&r) == GH_STRING) {
			gh_read_string(&r, &li->iface, &li->iface_len);
		} else if (gh_eq(k, kn, "direction") && gh_peek(&r) == GH_STRING) {
			gh_read_string(&r, &li->direction, &li->direction_len);
		} else if (gh_eq(k, kn, "peer") && gh_peek(&r) == GH_STRING) {
			gh_read_string(&r, &li->peer, &li->peer_len);
		} else if (gh_eq(k, kn, "meta")) {
			if (gh_read_raw(&r, &li->meta, &li->meta_len) < 0) return -1;
		} else if (gh_skip(&r) < 0) {
			return -1;
		}
	}
	return 0;
}

/* gh_read_control decodes gh_on_control's input: the operation's name and
 * a reader positioned at its argument (nil when none). An operation double
 * (declared in plugin.gene's ^control) that answers twice its integer:
 *
 *     int32_t gh_on_control(uint64_t link, uint32_t len) {
 *         const char *op;
 *         uint32_t n;
 *         gh_reader arg;
 *         int64_t x;
 *         uint8_t res[16];
 *         gh_writer w;
 *         (void)link;
 *         gh_writer_init(&w, res, sizeof res);
 *         if (gh_read_control(gh_input(), len, &op, &n, &arg) < 0) return gh_fail("malformed control input");
 *         if (!gh_eq(op, n, "double")) return gh_unknown_op(op, n);
 *         if (gh_read_int(&arg, &x) < 0) return gh_fail("double wants an integer");
 *         gh_write_int(&w, 2 * x);
 *         return gh_result_w(&w);
 *     }
 */
GH_INLINE int gh_read_control(const void *p, uint32_t len, const char **op, uint32_t *oplen, gh_reader *arg) {
	gh_reader r = gh_reader_of(p, len);
	if (gh_read_symbol(&r, op, oplen) < 0) return -1;
	*arg = r;
	return 0;
}

/* gh_unknown_op fails a control callback with "unknown op NAME", the
 * message hosts and clients expect for an operation the plugin lacks. */
GH_INLINE int32_t gh_unknown_op(const char *op, uint32_t n) {
	char msg[128] = "unknown op ";
	uint32_t k = (uint32_t)strlen(msg);
	if (n > sizeof msg - k) n = (uint32_t)sizeof msg - k;
	memcpy(msg + k, op, n);
	gh_result(msg, k + n);
	return GH_ERROR;
}

/* GH_WATCH_DELETED is the vlen gh_scan_next gives a delete in the records
 * of gh_kv_watch_next (val is then NULL). */
#define GH_WATCH_DELETED 0xFFFFFFFFu

/* gh_scan_next walks the records gh_kv_scan or gh_kv_watch_next wrote: it
 * reads one record from *r (set it to gh_reader_of(out, n) first) and
 * returns 0, or -1 at the end. */
GH_INLINE int gh_scan_next(gh_reader *r, const uint8_t **key, uint32_t *klen, const uint8_t **val, uint32_t *vlen) {
	const uint8_t *p = r->p;
	uint32_t n[2];
	const uint8_t *at[2];
	for (int i = 0; i < 2; i++) {
		if (r->end - p < 4) return -1;
		n[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		p += 4;
		if (i == 1 && n[i] == GH_WATCH_DELETED) {
			at[i] = NULL;
			break;
		}
		if ((uint64_t)(r->end - p) < n[i]) return -1;
		at[i] = p;
		p += n[i];
	}
	*key = at[0], *klen = n[0], *val = at[1], *vlen = n[1];
	r->p = p;
	return 0;
}

/* gh_cas is gh_kv_cas with NULL for "absent": expect NULL expects the key
 * to be absent, next NULL deletes it on a match (a non-NULL pointer with
 * length 0 is an empty value). It returns 1 when the swap applied; 0 when
 * it did not, with *curlen the length of the value the key holds (copied to
 * cur when it fits in ccap) or -1 when the key is absent; or -status. For
 * a read-modify-write loop: read, compute, gh_cas from what was read, and
 * on 0 start again from cur. */
GH_INLINE int32_t gh_cas(const void *key, uint32_t klen, const void *expect, uint32_t elen, const void *next,
                         uint32_t nlen, void *cur, uint32_t ccap, int64_t *curlen) {
	int32_t flags = (expect ? GH_CAS_EXPECT : 0) | (next ? GH_CAS_PUT : 0);
	int64_t n = gh_kv_cas(key, klen, expect, elen, next, nlen, flags, cur, ccap);
	*curlen = -1;
	if (n == 0) return 1;
	if (n == -GH_NOT_FOUND) return 0;
	if (n < 0) return (int32_t)n;
	*curlen = n - 1;
	return 0;
}

/* ---- Binary Gene documents (gene/BINARY.md section 6) -------------------
 * A document is the magic 89 47 4E 42, the version 01, then one value: the
 * form JavaScript plugins (genehost.kv), the shipped kv plugin and
 * gh_kv_incr store values in. */

#define GH_DOC_HEADER_LEN 5

/* gh_read_doc_header moves past a document header; -1 when r does not
 * start with one of version 1. */
GH_INLINE int gh_read_doc_header(gh_reader *r) {
	static const uint8_t h[GH_DOC_HEADER_LEN] = {0x89, 0x47, 0x4E, 0x42, 0x01};
	if (r->end - r->p < GH_DOC_HEADER_LEN || memcmp(r->p, h, GH_DOC_HEADER_LEN) != 0) return -1;
	r->p += GH_DOC_HEADER_LEN;
	return 0;
}

/* gh_kv_get_int reads a counter gh_kv_incr keeps (or any key holding a
 * document of one integer in int64 range). GH_OK; GH_NOT_FOUND;
 * GH_BAD_VALUE when the key holds something else; or gh_kv_get's status. */
GH_INLINE int32_t gh_kv_get_int(const void *key, uint32_t klen, int64_t *v) {
	uint8_t buf[GH_DOC_HEADER_LEN + 11];
	int64_t n = gh_kv_get(key, klen, buf, sizeof buf);
	if (n < 0) return (int32_t)-n;
	if (n > (int64_t)sizeof buf) return GH_BAD_VALUE;
	gh_reader r = gh_reader_of(buf, (uint32_t)n);
	if (gh_read_doc_header(&r) < 0 || gh_read_int(&r, v) < 0 || gh_more(&r)) return GH_BAD_VALUE;
	return GH_OK;
}

/* ---- Writing the binary Gene encoding ----------------------------------
 * A gh_writer appends encoded values to a buffer: a fixed one the caller
 * owns, or (buf NULL) one it grows with realloc. A zero gh_writer (a
 * static one, or = {0}) is an empty growing writer, ready to use. Writes never fail one by
 * one; the first failure (no room, no memory) is kept in err and every
 * later write does nothing, so check err once at the end. The writer
 * writes the canonical form the host expects (the shortest tag that holds
 * each value); it does not check that strings are valid UTF-8 (the host
 * refuses a value that is not, with GH_BAD_VALUE). */

typedef struct gh_writer {
	uint8_t *buf;
	uint32_t len, cap;
	int32_t err; /* GH_OK, or GH_SHORT_BUFFER when out of room or memory */
	int fixed;   /* buf is the caller's; otherwise the writer's, grown with realloc */
} gh_writer;

/* gh_writer_init starts a writer on buf (cap bytes), or on its own growing
 * buffer when buf is NULL (free it with gh_writer_free). */
GH_INLINE void gh_writer_init(gh_writer *w, void *buf, uint32_t cap) {
	w->buf = (uint8_t *)buf;
	w->len = 0;
	w->cap = buf ? cap : 0;
	w->err = GH_OK;
	w->fixed = buf != NULL;
}

/* gh_writer_reset empties the writer, keeping its buffer. */
GH_INLINE void gh_writer_reset(gh_writer *w) {
	w->len = 0;
	w->err = GH_OK;
}

GH_INLINE void gh_writer_free(gh_writer *w) {
	if (!w->fixed) free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

/* gh__room makes room for n more bytes, or records the failure. */
GH_INLINE uint8_t *gh__room(gh_writer *w, uint32_t n) {
	if (w->err) return NULL;
	if ((uint64_t)w->len + n > w->cap) {
		uint64_t want = w->cap ? (uint64_t)w->cap * 2 : 256;
		while (want < (uint64_t)w->len + n) want *= 2;
		uint8_t *b = NULL;
		if (!w->fixed && want <= UINT32_MAX) b = (uint8_t *)realloc(w->buf, (size_t)want);
		if (!b) {
			w->err = GH_SHORT_BUFFER;
			return NULL;
		}
		w->buf = b;
		w->cap = (uint32_t)want;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

GH_INLINE void gh__byte(gh_writer *w, uint8_t b) {
	uint8_t *p = gh__room(w, 1);
	if (p) *p = b;
}

GH_INLINE void gh__uvar(gh_writer *w, uint64_t v) {
	uint8_t tmp[10];
	uint32_t n = 0;
	do {
		tmp[n] = (uint8_t)(v & 0x7F);
		v >>= 7;
		if (v) tmp[n] |= 0x80;
		n++;
	} while (v);
	uint8_t *p = gh__room(w, n);
	if (p) memcpy(p, tmp, n);
}

GH_INLINE void gh__bytes(gh_writer *w, const void *s, uint32_t n) {
	uint8_t *p = gh__room(w, n);
	if (p && n) memcpy(p, s, n);
}

/* gh__sized writes a string, symbol or container header: a short tag
 * holding n when n < shortmax, else the long tag and a uvarint. */
GH_INLINE void gh__sized(gh_writer *w, uint8_t shortbase, uint32_t shortmax, uint8_t longtag, uint32_t n) {
	if (n < shortmax) {
		gh__byte(w, (uint8_t)(shortbase + n));
	} else {
		gh__byte(w, longtag);
		gh__uvar(w, n);
	}
}

GH_INLINE void gh_write_nil(gh_writer *w) { gh__byte(w, 0xC0); }
GH_INLINE void gh_write_void(gh_writer *w) { gh__byte(w, 0xC1); }
GH_INLINE void gh_write_bool(gh_writer *w, int b) { gh__byte(w, b ? 0xC3 : 0xC2); }

GH_INLINE void gh_write_int(gh_writer *w, int64_t v) {
	if (v >= 0 && v <= 63) {
		gh__byte(w, (uint8_t)v);
	} else if (v >= -32 && v < 0) {
		gh__byte(w, (uint8_t)(int8_t)v);
	} else {
		gh__byte(w, 0xC4);
		gh__uvar(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
	}
}

/* gh_write_uint writes any uint64, as a big integer above 2^63-1. */
GH_INLINE void gh_write_uint(gh_writer *w, uint64_t v) {
	if (v <= (uint64_t)INT64_MAX) {
		gh_write_int(w, (int64_t)v);
		return;
	}
	uint8_t mag[8];
	for (int i = 0; i < 8; i++) mag[i] = (uint8_t)(v >> (56 - 8 * i));
	gh__byte(w, 0xC5);
	gh__byte(w, 8); /* the top bit is set: all 8 bytes, no leading 00 */
	gh__bytes(w, mag, 8);
}

/* gh_write_float writes a float, keeping its exact bits (-0.0, nan). */
GH_INLINE void gh_write_float(gh_writer *w, double v) {
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	uint8_t *p = gh__room(w, 9);
	if (!p) return;
	p[0] = 0xC7;
	for (int i = 0; i < 8; i++) p[1 + i] = (uint8_t)(bits >> (8 * i));
}

GH_INLINE void gh_write_string(gh_writer *w, const char *s, uint32_t n) {
	gh__sized(w, 0x40, 32, 0xC8, n);
	gh__bytes(w, s, n);
}

GH_INLINE void gh_write_symbol(gh_writer *w, const char *s, uint32_t n) {
	gh__sized(w, 0x60, 32, 0xC9, n);
	gh__bytes(w, s, n);
}

/* gh_write_cstring and gh_write_csymbol take C strings. */
GH_INLINE void gh_write_cstring(gh_writer *w, const char *s) { gh_write_string(w, s, (uint32_t)strlen(s)); }
GH_INLINE void gh_write_csymbol(gh_writer *w, const char *s) { gh_write_symbol(w, s, (uint32_t)strlen(s)); }

/* gh_write_char writes a char from its Unicode code point. */
GH_INLINE void gh_write_char(gh_writer *w, uint32_t cp) {
	gh__byte(w, 0xCA);
	gh__uvar(w, cp);
}

GH_INLINE void gh_write_bytes(gh_writer *w, const void *b, uint32_t n) {
	gh__byte(w, 0xCF);
	gh__uvar(w, n);
	gh__bytes(w, b, n);
}

/* gh_write_list starts a list of count elements: write them next. */
GH_INLINE void gh_write_list(gh_writer *w, uint32_t count) { gh__sized(w, 0x80, 16, 0xCB, count); }

/* gh_write_props starts a prop map of count entries: write each as
 * gh_write_key then the value. Keys must be unique. */
GH_INLINE void gh_write_props(gh_writer *w, uint32_t count) { gh__sized(w, 0x90, 16, 0xCC, count); }

/* gh_write_list_frozen and gh_write_props_frozen start an immutable list
 * #[..] or prop map #{..}. */
GH_INLINE void gh_write_list_frozen(gh_writer *w, uint32_t count) {
	gh__byte(w, 0xD4);
	gh__uvar(w, count);
}
GH_INLINE void gh_write_props_frozen(gh_writer *w, uint32_t count) {
	gh__byte(w, 0xD5);
	gh__uvar(w, count);
}

/* gh_write_key writes the key of a prop entry (the name, without ^). */
GH_INLINE void gh_write_key(gh_writer *w, const char *s, uint32_t n) {
	gh__uvar(w, n);
	gh__bytes(w, s, n);
}

GH_INLINE void gh_write_ckey(gh_writer *w, const char *s) { gh_write_key(w, s, (uint32_t)strlen(s)); }

/* gh_write_map starts a general map of count pairs: write each key value
 * then its value. */
GH_INLINE void gh_write_map(gh_writer *w, uint32_t count) {
	gh__byte(w, 0xCD);
	gh__uvar(w, count);
}

/* gh_write_node starts a node with the parts it will have. Then write, in
 * this order: the head (when has_head), gh_write_part(nprops) and nprops
 * entries, gh_write_part(nmeta) and nmeta entries, gh_write_part(nbody)
 * and nbody values. gh_write_part writes nothing for an empty part, so it
 * may be called for every part. */
GH_INLINE void gh_write_node(gh_writer *w, int has_head, uint32_t nprops, uint32_t nmeta, uint32_t nbody) {
	gh__byte(w, 0xCE);
	gh__byte(w, (uint8_t)((has_head ? GH_NODE_HEAD : 0) | (nprops ? GH_NODE_PROPS : 0) | (nmeta ? GH_NODE_META : 0) |
	                      (nbody ? GH_NODE_BODY : 0)));
}

/* gh_write_node_frozen is gh_write_node for an immutable node #(..). */
GH_INLINE void gh_write_node_frozen(gh_writer *w, int has_head, uint32_t nprops, uint32_t nmeta, uint32_t nbody) {
	gh_write_node(w, has_head, nprops, nmeta, nbody);
	if (!w->err) w->buf[w->len - 1] |= GH_NODE_FROZEN;
}

/* gh_write_part writes the count of a node's props, meta or body. */
GH_INLINE void gh_write_part(gh_writer *w, uint32_t count) {
	if (count) gh__uvar(w, count);
}

/* gh_write_gene writes the start of the common node (name ^k v ... body...):
 * a symbol head, nprops props, no meta, nbody body values. Then write the
 * nprops entries, gh_write_part(nbody), and the nbody values. */
GH_INLINE void gh_write_gene(gh_writer *w, const char *name, uint32_t nprops, uint32_t nbody) {
	gh_write_node(w, 1, nprops, 0, nbody);
	gh_write_csymbol(w, name);
	gh_write_part(w, nprops);
}

/* gh_write_raw appends an already encoded value (gh_read_raw, a stored
 * one). */
GH_INLINE void gh_write_raw(gh_writer *w, const void *p, uint32_t n) { gh__bytes(w, p, n); }

/* gh_send_w sends the value in w (which must hold exactly one) on link,
 * waiting for credit; gh_try_send_w does not wait. They return
 * GH_SHORT_BUFFER when the writer failed, else the host's status. */
GH_INLINE int32_t gh_send_w(uint64_t link, const gh_writer *w) {
	return w->err ? w->err : gh_send(link, w->buf, w->len);
}
GH_INLINE int32_t gh_try_send_w(uint64_t link, const gh_writer *w) {
	return w->err ? w->err : gh_try_send(link, w->buf, w->len);
}

/* gh_stream_publish_w publishes the value in w (which must hold exactly
 * one) to a stream named by a C string and returns its seq, or -status
 * (-GH_SHORT_BUFFER when the writer failed). gh_topic_publish_w sends it to
 * a topic's subscribers and returns how many links of this host it went to.
 *
 *     gh_writer v;
 *     gh_writer_init(&v, NULL, 0);
 *     gh_write_props(&v, 1);
 *     gh_write_key(&v, GH_LIT("n"));
 *     gh_write_int(&v, 1);
 *     int64_t seq = gh_stream_publish_w("orders", &v);
 *     if (seq < 0) return gh_fail("publish failed");
 *     gh_stream_attach(link, GH_LIT("orders"), GH_LIT("workers"), 16, 0, 0);
 *     gh_writer_free(&v);
 */
GH_INLINE int64_t gh_stream_publish_w(const char *stream, const gh_writer *w) {
	return w->err ? -(int64_t)w->err : gh_stream_publish(stream, (uint32_t)strlen(stream), w->buf, w->len);
}
GH_INLINE int64_t gh_topic_publish_w(const char *topic, const gh_writer *w) {
	return w->err ? -(int64_t)w->err : gh_topic_publish(topic, (uint32_t)strlen(topic), w->buf, w->len);
}

/* gh_result_w sets the value in w as gh_on_control's result and returns
 * GH_OK (GH_ERROR with a message when the writer failed). */
GH_INLINE int32_t gh_result_w(const gh_writer *w) {
	if (w->err) return gh_fail("genehost.h: the control result did not fit in its writer");
	gh_result(w->buf, w->len);
	return GH_OK;
}

/* gh_write_doc_header starts a binary Gene document: write one value next
 * (to store it in the form gh_kv_incr and JavaScript plugins read). */
GH_INLINE void gh_write_doc_header(gh_writer *w) {
	static const uint8_t h[GH_DOC_HEADER_LEN] = {0x89, 0x47, 0x4E, 0x42, 0x01};
	gh__bytes(w, h, GH_DOC_HEADER_LEN);
}

/* ---- Error replies -----------------------------------------------------
 * Answer a bad request with an error value; returning GH_ERROR ends the
 * link with HANDLER_ERROR and keeps the instance. The standard error value
 * is (error ^code "CODE" ^message "MESSAGE" ^id ID), ^id being the
 * request's own, so the client can match the reply:
 *
 *     const uint8_t *id;
 *     uint32_t idlen;
 *     if (gh_request_id(&n, &id, &idlen) < 0) id = NULL;
 *     gh_write_error(&w, "bad-request", "^key must be a string", id, idlen);
 *     gh_send_w(link, &w);
 */

/* gh_request_id finds the ^id prop of a request node and returns its
 * encoded bytes (0), or -1 when the request has none. */
GH_INLINE int gh_request_id(const gh_node *n, const uint8_t **id, uint32_t *len) {
	gh_reader v;
	if (gh_find_prop(n->props, n->nprops, "id", &v) < 0) return -1;
	return gh_read_raw(&v, id, len);
}

/* gh_write_error writes (error ^code code ^message message ^id ID), code
 * and message being C strings and id an encoded value (gh_request_id,
 * gh_read_raw), or NULL to leave ^id out. */
GH_INLINE void gh_write_error(gh_writer *w, const char *code, const char *message, const uint8_t *id, uint32_t idlen) {
	gh_write_gene(w, "error", id ? 3 : 2, 0);
	gh_write_ckey(w, "code");
	gh_write_cstring(w, code);
	gh_write_ckey(w, "message");
	gh_write_cstring(w, message);
	if (id) {
		gh_write_ckey(w, "id");
		gh_write_raw(w, id, idlen);
	}
}

/* ---- Implementation ----------------------------------------------------*/
#ifdef GENEHOST_IMPLEMENTATION

/* The version marker: its name tells the host the ABI version. */
GH_EXPORT(GH_ABI_MARKER) int32_t gh__abi_marker(void) { return GH_ABI_MAJOR << 16 | GH_ABI_MINOR; }

static uint8_t *gh__in;
static uint32_t gh__incap;

/* gh_buffer keeps one region, grown when the host needs more; the host
 * calls it only then, so steady traffic costs no call. */
uint8_t *gh_buffer(uint32_t size) {
	if (size == 0) size = 1;
	if (size > gh__incap) {
		uint8_t *p = (uint8_t *)realloc(gh__in, size);
		if (!p) return NULL;
		gh__in = p;
		gh__incap = size;
	}
	return gh__in;
}

uint8_t *gh_input(void) { return gh__in; }

#ifdef GH_DEFAULT_ON_OPEN
int32_t gh_on_open(uint64_t link, uint32_t len) {
	(void)link, (void)len;
	return GH_OK;
}
#endif
#ifdef GH_DEFAULT_ON_VALUES
int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	(void)link, (void)count, (void)len;
	return GH_OK;
}
#endif
#ifdef GH_DEFAULT_ON_CONTROL
int32_t gh_on_control(uint64_t link, uint32_t len) {
	const char *op;
	uint32_t n;
	gh_reader arg;
	(void)link;
	if (gh_read_control(gh_input(), len, &op, &n, &arg) < 0) return gh_fail("genehost.h: malformed control input");
	return gh_unknown_op(op, n);
}
#endif
#ifdef GH_DEFAULT_ON_CLOSE
int32_t gh_on_close(uint64_t link, uint32_t len) {
	(void)link, (void)len;
	return GH_OK;
}
#endif
#ifdef GH_DEFAULT_ON_TIMER
int32_t gh_on_timer(uint64_t id) {
	(void)id;
	return GH_OK;
}
#endif

#endif /* GENEHOST_IMPLEMENTATION */

#ifdef __cplusplus
}
#endif
#endif /* GENEHOST_H */
