/*
 * counter: counts the values this instance has received and, after each
 * one, sends (count N) back on its link. Control operations:
 *
 *   get           returns N
 *   reset         sets N to 0 and returns the value it had
 *   close REASON  closes the data link the operation names, with REASON
 *                 (a string) sent to the client
 *
 * It shows the writer (building a node), blocking sends and their errors,
 * control results, and closing a link from the plugin.
 *
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 -I.. -o counter.wasm counter.c
 */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static int64_t count;

/* out is reused by every send: 32 bytes hold any (count N). */
static uint8_t out[32];

int32_t gh_on_values(uint64_t link, uint32_t n, uint32_t len) {
	(void)len;
	gh_writer w;
	for (uint32_t i = 0; i < n; i++) {
		count++;
		gh_writer_init(&w, out, sizeof out);
		gh_write_gene(&w, "count", 0, 1); /* (count N) */
		gh_write_part(&w, 1);
		gh_write_int(&w, count);
		int32_t st = gh_send_w(link, &w);
		if (st != GH_OK) {
			/* GH_LINK_CLOSED, GH_DIRECTION (a "recv" link cannot send),
			 * GH_TIMEOUT (no credit before the deadline): fail with the
			 * host's message, which names the call and the link. */
			char msg[256];
			return gh_fail(gh_last_error(msg, sizeof msg));
		}
	}
	return GH_OK;
}

int32_t gh_on_control(uint64_t link, uint32_t len) {
	const char *op;
	uint32_t n;
	gh_reader arg;
	uint8_t res[16];
	gh_writer w;
	gh_writer_init(&w, res, sizeof res);
	if (gh_read_control(gh_input(), len, &op, &n, &arg) < 0) return gh_fail("counter: malformed control input");
	if (gh_eq(op, n, "get")) {
		gh_write_int(&w, count);
		return gh_result_w(&w);
	}
	if (gh_eq(op, n, "reset")) {
		gh_write_int(&w, count);
		count = 0;
		return gh_result_w(&w);
	}
	if (gh_eq(op, n, "close")) {
		const char *reason;
		uint32_t rn;
		if (link == 0) return gh_fail("counter: close needs a data link");
		if (gh_read_string(&arg, &reason, &rn) < 0) return gh_fail("counter: close wants a reason string");
		if (gh_close_link(link, reason, rn) != GH_OK) {
			char msg[256];
			return gh_fail(gh_last_error(msg, sizeof msg));
		}
		return GH_OK; /* no gh_result: the result is nil */
	}
	return gh_unknown_op(op, n);
}
