/* watch: store watches (ABI 1.2). (watch ^prefix P) watches the keys
 * starting with the string P and sends (watching); (put ^key K ^value S)
 * stores the string S under K and (del ^key K) deletes K, each sending
 * (ok). When the watch has changes waiting, each is sent on the link that
 * asked for the watch as (put "K" "S") or (del "K"), or (dropped). The
 * records buffer is small on purpose: it is grown on GH_SHORT_BUFFER. */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_CONTROL
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static uint64_t watch_id, watch_link;

static int32_t host_failed(void) {
	char msg[256];
	return gh_fail(gh_last_error(msg, sizeof msg));
}

static int32_t reply(uint64_t link, const char *head) {
	gh_writer w;
	gh_writer_init(&w, NULL, 0);
	gh_write_gene(&w, head, 0, 0);
	int32_t st = gh_send_w(link, &w);
	gh_writer_free(&w);
	return st == GH_OK ? GH_OK : host_failed();
}

static int read_string_prop(const gh_node *n, const char *key, const char **s, uint32_t *len) {
	gh_reader v;
	if (gh_find_prop(n->props, n->nprops, key, &v) < 0) return -1;
	return gh_read_string(&v, s, len);
}

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	gh_reader r = gh_reader_of(gh_input(), len);
	for (uint32_t i = 0; i < count; i++) {
		gh_node n;
		const char *key, *val;
		uint32_t klen, vlen;
		if (gh_read_node(&r, &n) < 0) return gh_fail("watch: expected a node");
		if (gh_node_is(&n, "watch")) {
			if (read_string_prop(&n, "prefix", &key, &klen) < 0) return gh_fail("watch: ^prefix must be a string");
			int64_t id = gh_kv_watch(key, klen);
			if (id < 0) return host_failed();
			watch_id = (uint64_t)id, watch_link = link;
			if (reply(link, "watching") != GH_OK) return GH_ERROR;
			continue;
		}
		if (read_string_prop(&n, "key", &key, &klen) < 0) return gh_fail("watch: ^key must be a string");
		if (gh_node_is(&n, "put")) {
			if (read_string_prop(&n, "value", &val, &vlen) < 0) return gh_fail("watch: ^value must be a string");
			if (gh_kv_put(key, klen, val, vlen) != GH_OK) return host_failed();
		} else if (gh_node_is(&n, "del")) {
			if (gh_kv_delete(key, klen) < 0) return host_failed();
		} else {
			return gh_fail("watch: expected (watch ...), (put ...) or (del ...)");
		}
		if (reply(link, "ok") != GH_OK) return GH_ERROR;
	}
	return GH_OK;
}

/* send_change sends one record of gh_kv_watch_next as a value. */
static int32_t send_change(const uint8_t *key, uint32_t klen, const uint8_t *val, uint32_t vlen) {
	gh_writer w;
	gh_writer_init(&w, NULL, 0);
	if (klen == 0 && vlen == 0) {
		gh_write_gene(&w, "dropped", 0, 0);
	} else if (vlen == GH_WATCH_DELETED) {
		gh_write_gene(&w, "del", 0, 1);
		gh_write_part(&w, 1);
		gh_write_string(&w, (const char *)key, klen);
	} else {
		gh_write_gene(&w, "put", 0, 2);
		gh_write_part(&w, 2);
		gh_write_string(&w, (const char *)key, klen);
		gh_write_string(&w, (const char *)val, vlen);
	}
	int32_t st = gh_send_w(watch_link, &w);
	gh_writer_free(&w);
	return st == GH_OK ? GH_OK : host_failed();
}

int32_t gh_on_timer(uint64_t id) {
	if (id != watch_id) return gh_fail("watch: woken for an unknown id");
	uint32_t cap = 16;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf) return gh_fail("watch: out of memory");
		int64_t n = gh_kv_watch_next(id, buf, cap);
		if (n == -GH_SHORT_BUFFER) {
			cap *= 2;
			uint8_t *more = realloc(buf, cap);
			if (!more) free(buf);
			buf = more;
			continue;
		}
		if (n <= 0) {
			free(buf);
			return n == 0 ? GH_OK : host_failed();
		}
		gh_reader r = gh_reader_of(buf, (uint32_t)n);
		const uint8_t *key, *val;
		uint32_t klen, vlen;
		while (gh_scan_next(&r, &key, &klen, &val, &vlen) == 0) {
			if (send_change(key, klen, val, vlen) != GH_OK) {
				free(buf);
				return GH_ERROR;
			}
		}
	}
}
