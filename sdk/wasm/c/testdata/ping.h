/* ping.h: the control operation ping answers pong; shared by the fixtures
 * whose values callback fails, to prove a fresh instance works. */
int32_t gh_on_control(uint64_t link, uint32_t len) {
	const char *op;
	uint32_t n;
	gh_reader arg;
	(void)link;
	if (gh_read_control(gh_input(), len, &op, &n, &arg) < 0) return gh_fail("malformed control input");
	if (!gh_eq(op, n, "ping")) return gh_unknown_op(op, n);
	gh_writer w;
	uint8_t out[8];
	gh_writer_init(&w, out, sizeof out);
	gh_write_csymbol(&w, "pong");
	return gh_result_w(&w);
}
