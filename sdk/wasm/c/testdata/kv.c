/* kv: (set ^key K ^value V) stores V under the string K and sends (ok);
 * (get ^key K) sends (value V), or (missing) when K is absent. Values are
 * stored as their encoded bytes. */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GH_DEFAULT_ON_CONTROL
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static int32_t host_failed(void) {
	char msg[256];
	return gh_fail(gh_last_error(msg, sizeof msg));
}

static int32_t send_node(uint64_t link, const char *head, const uint8_t *body, uint32_t n) {
	gh_writer w;
	gh_writer_init(&w, NULL, 0);
	gh_write_gene(&w, head, 0, body ? 1 : 0);
	gh_write_part(&w, body ? 1 : 0);
	if (body) gh_write_raw(&w, body, n);
	int32_t st = gh_send_w(link, &w);
	gh_writer_free(&w);
	return st == GH_OK ? GH_OK : host_failed();
}

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	gh_reader r = gh_reader_of(gh_input(), len);
	for (uint32_t i = 0; i < count; i++) {
		gh_node n;
		gh_reader kr, vr;
		const char *key;
		uint32_t klen;
		if (gh_read_node(&r, &n) < 0) return gh_fail("kv: expected (set ...) or (get ...)");
		if (gh_find_prop(n.props, n.nprops, "key", &kr) < 0 || gh_read_string(&kr, &key, &klen) < 0)
			return gh_fail("kv: ^key must be a string");
		if (gh_node_is(&n, "set")) {
			const uint8_t *v;
			uint32_t vn;
			if (gh_find_prop(n.props, n.nprops, "value", &vr) < 0 || gh_read_raw(&vr, &v, &vn) < 0)
				return gh_fail("kv: set needs ^value");
			if (gh_kv_put(key, klen, v, vn) != GH_OK) return host_failed();
			if (send_node(link, "ok", NULL, 0) != GH_OK) return GH_ERROR;
		} else if (gh_node_is(&n, "get")) {
			uint8_t small[64];
			int64_t got = gh_kv_get(key, klen, small, sizeof small);
			if (got == -GH_NOT_FOUND) {
				if (send_node(link, "missing", NULL, 0) != GH_OK) return GH_ERROR;
				continue;
			}
			if (got < 0) return host_failed();
			uint8_t *v = small;
			if (got > (int64_t)sizeof small) {
				/* Too big for the first try: ask again with room for it. */
				v = malloc((size_t)got);
				if (!v) return gh_fail("kv: out of memory");
				int64_t again = gh_kv_get(key, klen, v, (uint32_t)got);
				if (again != got) {
					free(v);
					return again < 0 ? host_failed() : gh_fail("kv: value changed size");
				}
			}
			int32_t st = send_node(link, "value", v, (uint32_t)got);
			if (v != small) free(v);
			if (st != GH_OK) return GH_ERROR;
		} else {
			return gh_fail("kv: expected (set ...) or (get ...)");
		}
	}
	return GH_OK;
}
