/* timer: every value sets a 10 ms timer; when it fires, (tick ID) goes to
 * the last link a value arrived on. Without the timers grant the value is
 * answered with (error "MESSAGE"). */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_CONTROL
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static uint64_t last;

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	(void)count, (void)len;
	last = link;
	int64_t id = gh_timer_set(10 * 1000 * 1000);
	if (id < 0) {
		char msg[256];
		gh_last_error(msg, sizeof msg);
		gh_writer w;
		gh_writer_init(&w, NULL, 0);
		gh_write_gene(&w, "error", 0, 1);
		gh_write_part(&w, 1);
		gh_write_cstring(&w, msg);
		int32_t st = gh_send_w(link, &w);
		gh_writer_free(&w);
		if (st != GH_OK) return gh_fail("timer: send failed");
	}
	return GH_OK;
}

int32_t gh_on_timer(uint64_t id) {
	uint8_t out[32];
	gh_writer w;
	gh_writer_init(&w, out, sizeof out);
	gh_write_gene(&w, "tick", 0, 1);
	gh_write_part(&w, 1);
	gh_write_uint(&w, id);
	return gh_send_w(last, &w) == GH_OK ? GH_OK : gh_fail("timer: send failed");
}
