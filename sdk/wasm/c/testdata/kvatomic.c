/* kvatomic: the atomic store operations (plugintest suite, "kvatomic").
 * Values are stored as binary Gene documents, as JavaScript plugins store
 * them:
 *   (put ^key K ^value V)               -> (ok)
 *   (get ^key K)                        -> (value V) or (missing)
 *   (cas ^key K [^expect E] [^value W]) -> (cas true|false); absent: "absent"
 *   (incr ^key K [^by N])               -> (n NEW)
 *   (cas-add ^key K)                    -> (n NEW): read, add 1, cas, until it applies
 * A failed store call is answered with (error MESSAGE), the host's message.
 * Beyond the suite (sdk/wasm/c/kvatomic_test.go):
 *   (int ^key K)                        -> (int N), gh_kv_get_int's reading, or (status S)
 *   anything else                       -> (error ^code "bad-request" ^message M ^id ID), gh_write_error */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GH_DEFAULT_ON_CONTROL
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static gh_writer out, expect, next; /* growing writers, reused */
static uint8_t *getbuf;
static uint32_t getcap;

/* send sends (head) or (head BODY), BODY an encoded value. */
static int32_t send(uint64_t link, const char *head, const uint8_t *body, uint32_t n) {
	gh_writer_reset(&out);
	gh_write_gene(&out, head, 0, body ? 1 : 0);
	gh_write_part(&out, body ? 1 : 0);
	if (body) gh_write_raw(&out, body, n);
	return gh_send_w(link, &out) == GH_OK ? GH_OK : gh_fail("kvatomic: send failed");
}

/* failed answers with (error MESSAGE) for the host call that just failed. */
static int32_t failed(uint64_t link) {
	char msg[512];
	gh_writer w;
	uint8_t buf[600];
	gh_writer_init(&w, buf, sizeof buf);
	gh_last_error(msg, sizeof msg);
	gh_write_cstring(&w, msg);
	return send(link, "error", w.buf, w.len);
}

static int32_t send_int(uint64_t link, const char *head, int64_t v) {
	uint8_t buf[16];
	gh_writer w;
	gh_writer_init(&w, buf, sizeof buf);
	gh_write_int(&w, v);
	return send(link, head, w.buf, w.len);
}

/* doc writes the prop named key as a document into w; 0 when absent. */
static int doc(gh_writer *w, const gh_node *n, const char *key) {
	gh_reader v;
	const uint8_t *raw;
	uint32_t rn;
	gh_writer_reset(w);
	if (gh_find_prop(n->props, n->nprops, key, &v) < 0 || gh_read_raw(&v, &raw, &rn) < 0) return 0;
	gh_write_doc_header(w);
	gh_write_raw(w, raw, rn);
	return 1;
}

static int32_t serve(uint64_t link, const gh_node *n) {
	gh_reader kr;
	const char *key = "";
	uint32_t klen = 0;
	if (gh_find_prop(n->props, n->nprops, "key", &kr) == 0 && gh_read_string(&kr, &key, &klen) < 0)
		return gh_fail("kvatomic: ^key must be a string");
	if (gh_node_is(n, "put")) {
		doc(&next, n, "value");
		if (gh_kv_put(key, klen, next.buf, next.len) != GH_OK) return failed(link);
		return send(link, "ok", NULL, 0);
	}
	if (gh_node_is(n, "get")) {
		int64_t got;
		while ((got = gh_kv_get(key, klen, getbuf, getcap)) > (int64_t)getcap) {
			free(getbuf);
			getcap = (uint32_t)got;
			if (!(getbuf = malloc(getcap))) return gh_fail("kvatomic: out of memory");
		}
		if (got == -GH_NOT_FOUND) return send(link, "missing", NULL, 0);
		if (got < 0) return failed(link);
		gh_reader r = gh_reader_of(getbuf, (uint32_t)got);
		if (gh_read_doc_header(&r) < 0) return gh_fail("kvatomic: not a document");
		return send(link, "value", r.p, (uint32_t)(r.end - r.p));
	}
	if (gh_node_is(n, "cas")) {
		int has_expect = doc(&expect, n, "expect"), has_next = doc(&next, n, "value");
		int64_t curlen;
		int32_t st = gh_cas(key, klen, has_expect ? expect.buf : NULL, expect.len, has_next ? next.buf : NULL, next.len,
		                    NULL, 0, &curlen);
		if (st < 0) return failed(link);
		uint8_t b = st ? 0xC3 : 0xC2; /* true, false */
		return send(link, "cas", &b, 1);
	}
	if (gh_node_is(n, "incr")) {
		gh_reader br;
		int64_t by = 1, v;
		if (gh_find_prop(n->props, n->nprops, "by", &br) == 0 && gh_read_int(&br, &by) < 0)
			return gh_fail("kvatomic: ^by must be an integer");
		if (gh_kv_incr(key, klen, by, &v) != GH_OK) return failed(link);
		return send_int(link, "n", v);
	}
	if (gh_node_is(n, "cas-add")) {
		for (;;) {
			int64_t v = 0, curlen;
			int32_t st = gh_kv_get_int(key, klen, &v);
			if (st != GH_OK && st != GH_NOT_FOUND) return failed(link);
			gh_writer_reset(&expect);
			gh_write_doc_header(&expect);
			gh_write_int(&expect, v);
			gh_writer_reset(&next);
			gh_write_doc_header(&next);
			gh_write_int(&next, v + 1);
			st = gh_cas(key, klen, st == GH_OK ? expect.buf : NULL, expect.len, next.buf, next.len, NULL, 0, &curlen);
			if (st < 0) return failed(link);
			if (st == 1) return send_int(link, "n", v + 1);
		}
	}
	if (gh_node_is(n, "int")) {
		int64_t v;
		int32_t st = gh_kv_get_int(key, klen, &v);
		return st == GH_OK ? send_int(link, "int", v) : send_int(link, "status", st);
	}
	const uint8_t *id;
	uint32_t idlen;
	if (gh_request_id(n, &id, &idlen) < 0) id = NULL;
	gh_writer_reset(&out);
	gh_write_error(&out, "bad-request", "kvatomic: unknown request", id, idlen);
	return gh_send_w(link, &out) == GH_OK ? GH_OK : gh_fail("kvatomic: send failed");
}

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	gh_reader r = gh_reader_of(gh_input(), len);
	for (uint32_t i = 0; i < count; i++) {
		gh_node n;
		if (gh_read_node(&r, &n) < 0) return gh_fail("kvatomic: want a request node");
		if (serve(link, &n) != GH_OK) return GH_ERROR;
	}
	return GH_OK;
}
