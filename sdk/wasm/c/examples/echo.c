/*
 * echo: sends every value back on the link it came from, unchanged, and
 * answers the control operation hello with the symbol hi. Declare it in
 * plugin.gene (^control {^hello {^result symbol}}): ping is the host's own,
 * like the other standard operations, and genehost check refuses it.
 *
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 -I.. -o echo.wasm echo.c
 */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	gh_reader r = gh_reader_of(gh_input(), len);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *v;
		uint32_t n;
		if (gh_read_raw(&r, &v, &n) < 0) return gh_fail("echo: malformed batch");
		/* The value's bytes are sent as they came: no decoding needed. */
		if (gh_send(link, v, n) != GH_OK) {
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
	(void)link;
	if (gh_read_control(gh_input(), len, &op, &n, &arg) < 0) return gh_fail("echo: malformed control input");
	if (gh_eq(op, n, "hello")) {
		static const uint8_t hi[] = {0x62, 'h', 'i'}; /* the symbol hi */
		gh_result(hi, sizeof hi);
		return GH_OK;
	}
	return gh_unknown_op(op, n);
}
