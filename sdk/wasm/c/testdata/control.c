/* control: the operation add takes [a b] and returns a + b; any other
 * operation fails with "unknown op NAME". */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_VALUES
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

int32_t gh_on_control(uint64_t link, uint32_t len) {
	const char *op;
	uint32_t n, count;
	gh_reader arg;
	int64_t a, b;
	(void)link;
	if (gh_read_control(gh_input(), len, &op, &n, &arg) < 0) return gh_fail("control: malformed input");
	if (!gh_eq(op, n, "add")) return gh_unknown_op(op, n);
	if (gh_read_list(&arg, &count) < 0 || count != 2 || gh_read_int(&arg, &a) < 0 || gh_read_int(&arg, &b) < 0)
		return gh_fail("add wants [a b], two integers");
	uint8_t out[16];
	gh_writer w;
	gh_writer_init(&w, out, sizeof out);
	gh_write_int(&w, a + b);
	return gh_result_w(&w);
}
