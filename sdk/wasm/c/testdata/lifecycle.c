/* lifecycle: logs "open ID" and "close ID REASON"; the value (info) sends
 * (link ^interface I ^direction D) for the link it came on. */
#include <stdio.h>
#define GH_DEFAULT_ON_TIMER
#define GH_DEFAULT_ON_CONTROL
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

/* What each open link said, kept until it closes. */
struct link {
	uint64_t id;
	char iface[64], direction[16];
	uint32_t iface_len, direction_len;
};
static struct link links[16];

static struct link *find(uint64_t id) {
	for (int i = 0; i < 16; i++)
		if (links[i].id == id) return &links[i];
	return NULL;
}

int32_t gh_on_open(uint64_t link, uint32_t len) {
	gh_link_info li;
	char msg[64];
	if (gh_read_link_info(gh_input(), len, &li) < 0) return gh_fail("lifecycle: malformed link info");
	struct link *l = find(0);
	if (!l) return gh_fail("lifecycle: too many links");
	if (li.iface_len > sizeof l->iface || li.direction_len > sizeof l->direction) return gh_fail("lifecycle: names too long");
	l->id = link;
	memcpy(l->iface, li.iface, l->iface_len = li.iface_len);
	memcpy(l->direction, li.direction, l->direction_len = li.direction_len);
	snprintf(msg, sizeof msg, "open %llu", (unsigned long long)link);
	gh_logs(GH_LOG_INFO, link, msg);
	return GH_OK;
}

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	gh_reader r = gh_reader_of(gh_input(), len);
	for (uint32_t i = 0; i < count; i++) {
		gh_node n;
		if (gh_read_node(&r, &n) == 0 && gh_node_is(&n, "info")) {
			struct link *l = find(link);
			if (!l) return gh_fail("lifecycle: (info) on a link that did not open");
			gh_writer w;
			gh_writer_init(&w, NULL, 0);
			gh_write_gene(&w, "link", 2, 0);
			gh_write_ckey(&w, "interface");
			gh_write_string(&w, l->iface, l->iface_len);
			gh_write_ckey(&w, "direction");
			gh_write_string(&w, l->direction, l->direction_len);
			int32_t st = gh_send_w(link, &w);
			gh_writer_free(&w);
			if (st != GH_OK) return gh_fail("lifecycle: send failed");
		} else if (gh_skip(&r) < 0) {
			return gh_fail("lifecycle: malformed batch");
		}
	}
	return GH_OK;
}

int32_t gh_on_close(uint64_t link, uint32_t len) {
	char msg[160];
	snprintf(msg, sizeof msg, "close %llu %.*s", (unsigned long long)link, (int)len, (const char *)gh_input());
	gh_logs(GH_LOG_INFO, link, msg);
	struct link *l = find(link);
	if (l) l->id = 0;
	return GH_OK;
}
