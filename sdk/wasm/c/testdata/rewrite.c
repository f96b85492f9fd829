/* rewrite: decodes every value with the typed readers of genehost.h and
 * writes it again with the writers, then sends the result; kinds the
 * header has no reader for (big integers below -2^63 or past 2^64-1,
 * regexes, dates and times) are copied whole. A lossless reader and a
 * canonical writer send back exactly the bytes they were given. Control
 * ops: "link" returns the link info gh_on_open decoded, as a prop map;
 * "rewrite" returns its argument rewritten; "parse" runs the readers on
 * arbitrary bytes. */
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static int copy(gh_reader *r, gh_writer *w, int depth);

static int copy_entries(gh_reader *r, uint32_t n, gh_writer *w, int depth) {
	for (uint32_t i = 0; i < n; i++) {
		const char *k;
		uint32_t kn;
		if (gh_read_key(r, &k, &kn) < 0) return -1;
		gh_write_key(w, k, kn);
		if (copy(r, w, depth) < 0) return -1;
	}
	return 0;
}

/* copy recurses once per level of nesting, so it stops past GH_MAX_DEPTH
 * containers as gh_skip does: the stack is small (64 KiB by default).
 * depth counts the containers around the value. */
static int copy(gh_reader *r, gh_writer *w, int depth) {
	if (depth > GH_MAX_DEPTH) return -1;
	int frozen = gh_frozen(r);
	const char *s;
	const uint8_t *b;
	uint32_t n;
	int64_t i;
	uint64_t u;
	double f;
	int t;
	switch (gh_peek(r)) {
	case GH_NIL:
		if (gh_read_nil(r) < 0) return -1;
		gh_write_nil(w);
		return 0;
	case GH_VOID:
		if (gh_read_void(r) < 0) return -1;
		gh_write_void(w);
		return 0;
	case GH_BOOL:
		if (gh_read_bool(r, &t) < 0) return -1;
		gh_write_bool(w, t);
		return 0;
	case GH_INT:
		if (gh_read_int(r, &i) == 0) {
			gh_write_int(w, i);
			return 0;
		}
		if (gh_read_uint(r, &u) == 0) {
			gh_write_uint(w, u);
			return 0;
		}
		break; /* a bigger integer: copied whole below */
	case GH_FLOAT:
		if (gh_read_float(r, &f) < 0) return -1;
		gh_write_float(w, f);
		return 0;
	case GH_STRING:
		if (gh_read_string(r, &s, &n) < 0) return -1;
		gh_write_string(w, s, n);
		return 0;
	case GH_SYMBOL:
		if (gh_read_symbol(r, &s, &n) < 0) return -1;
		gh_write_symbol(w, s, n);
		return 0;
	case GH_CHAR:
		if (gh_read_char(r, &n) < 0) return -1;
		gh_write_char(w, n);
		return 0;
	case GH_BYTES:
		if (gh_read_bytes(r, &b, &n) < 0) return -1;
		gh_write_bytes(w, b, n);
		return 0;
	case GH_LIST:
		if (gh_read_list(r, &n) < 0) return -1;
		if (frozen)
			gh_write_list_frozen(w, n);
		else
			gh_write_list(w, n);
		for (uint32_t j = 0; j < n; j++)
			if (copy(r, w, depth + 1) < 0) return -1;
		return 0;
	case GH_PROPS:
		if (gh_read_props(r, &n) < 0) return -1;
		if (frozen)
			gh_write_props_frozen(w, n);
		else
			gh_write_props(w, n);
		return copy_entries(r, n, w, depth + 1);
	case GH_MAP:
		if (gh_read_map(r, &n) < 0) return -1;
		gh_write_map(w, n);
		for (uint32_t j = 0; j < 2 * n; j++)
			if (copy(r, w, depth + 1) < 0) return -1;
		return 0;
	case GH_NODE: {
		gh_node nd;
		if (gh_read_node(r, &nd) < 0) return -1;
		int head = (nd.flags & GH_NODE_HEAD) != 0;
		if (frozen)
			gh_write_node_frozen(w, head, nd.nprops, nd.nmeta, nd.nbody);
		else
			gh_write_node(w, head, nd.nprops, nd.nmeta, nd.nbody);
		if (head && copy(&nd.head, w, depth + 1) < 0) return -1;
		gh_write_part(w, nd.nprops);
		if (copy_entries(&nd.props, nd.nprops, w, depth + 1) < 0) return -1;
		gh_write_part(w, nd.nmeta);
		if (copy_entries(&nd.meta, nd.nmeta, w, depth + 1) < 0) return -1;
		gh_write_part(w, nd.nbody);
		for (uint32_t j = 0; j < nd.nbody; j++)
			if (copy(&nd.body, w, depth + 1) < 0) return -1;
		return 0;
	}
	default:
		break;
	}
	if (gh_read_raw(r, &b, &n) < 0) return -1;
	gh_write_raw(w, b, n);
	return 0;
}

static gh_writer out;

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	gh_reader r = gh_reader_of(gh_input(), len);
	for (uint32_t i = 0; i < count; i++) {
		gh_writer_reset(&out);
		if (copy(&r, &out, 0) < 0) return gh_fail("rewrite: cannot read the value");
		if (out.err) return gh_fail("rewrite: out of memory");
		if (gh_send_w(link, &out) != GH_OK) {
			char msg[256];
			return gh_fail(gh_last_error(msg, sizeof msg));
		}
	}
	if (gh_more(&r)) return gh_fail("rewrite: bytes left after the batch");
	return GH_OK;
}

/* The last link info seen, re-encoded for the control op "link". */
static gh_writer info;

int32_t gh_on_open(uint64_t link, uint32_t len) {
	gh_link_info li;
	(void)link;
	if (gh_read_link_info(gh_input(), len, &li) < 0) return gh_fail("rewrite: malformed link info");
	gh_writer_reset(&info);
	gh_write_props(&info, 5);
	gh_write_ckey(&info, "id");
	gh_write_uint(&info, li.id);
	gh_write_ckey(&info, "interface");
	gh_write_string(&info, li.iface, li.iface_len);
	gh_write_ckey(&info, "direction");
	gh_write_string(&info, li.direction, li.direction_len);
	gh_write_ckey(&info, "peer");
	gh_write_string(&info, li.peer, li.peer_len);
	gh_write_ckey(&info, "meta");
	gh_write_raw(&info, li.meta, li.meta_len);
	return GH_OK;
}

int32_t gh_on_control(uint64_t link, uint32_t len) {
	const char *op;
	uint32_t n;
	gh_reader arg;
	(void)link;
	if (gh_read_control(gh_input(), len, &op, &n, &arg) < 0) return gh_fail("rewrite: malformed control input");
	if (gh_eq(op, n, "link")) return gh_result_w(&info);
	if (gh_eq(op, n, "rewrite")) {
		/* The argument, rewritten, as the result. */
		gh_writer_reset(&out);
		if (copy(&arg, &out, 0) < 0) return gh_fail("rewrite: cannot read the argument");
		return gh_result_w(&out);
	}
	if (gh_eq(op, n, "parse")) {
		/* The argument is bytes that may not be a value: [skipped copied],
		 * where skipped is what gh_skip consumed (-1: refused) and copied
		 * the typed readers' and writers' copy of one value (nil: refused). */
		const uint8_t *b;
		uint32_t bn;
		if (gh_read_bytes(&arg, &b, &bn) < 0) return gh_fail("rewrite: parse wants bytes");
		gh_reader r1 = gh_reader_of(b, bn), r2 = r1;
		int64_t skipped = gh_skip(&r1) < 0 ? -1 : (int64_t)(r1.p - b);
		gh_writer_reset(&out);
		int copied = copy(&r2, &out, 0) == 0 && !out.err;
		gh_writer res = {0};
		gh_write_list(&res, 2);
		gh_write_int(&res, skipped);
		if (copied)
			gh_write_bytes(&res, out.buf, out.len);
		else
			gh_write_nil(&res);
		int32_t st = gh_result_w(&res);
		gh_writer_free(&res);
		return st;
	}
	return gh_unknown_op(op, n);
}
