/* hog: values allocates without bound; when memory.grow fails at the
 * plugin's MemoryPages, malloc returns NULL and the guest aborts (a trap). */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"
#include "ping.h"

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	(void)link, (void)count, (void)len;
	for (;;) {
		volatile uint8_t *p = malloc(64 * 1024);
		if (!p) abort();
		p[0] = 1; /* touch it, so it is not optimised away */
	}
}
