/* paused: the first value pauses its link and sets a timer; the timer
 * resumes the link. Later values are consumed. */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_CONTROL
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static uint64_t seen, held;

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	(void)len;
	seen += count;
	if (seen == count) {
		if (gh_timer_set(10 * 1000 * 1000) < 0) {
			char msg[256];
			return gh_fail(gh_last_error(msg, sizeof msg));
		}
		held = link;
		return GH_PAUSE;
	}
	return GH_OK;
}

int32_t gh_on_timer(uint64_t id) {
	(void)id;
	if (held) gh_resume(held);
	held = 0;
	return GH_OK;
}
