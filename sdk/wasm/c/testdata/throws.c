/* throws: every value fails the callback with "boom". */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"
#include "ping.h"

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	(void)link, (void)count, (void)len;
	return gh_fail("boom");
}
