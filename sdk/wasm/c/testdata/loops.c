/* loops: values never returns; the call deadline stops it. */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"
#include "ping.h"

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	(void)link, (void)count, (void)len;
	volatile uint64_t spins = 0;
	for (;;) spins++;
}
