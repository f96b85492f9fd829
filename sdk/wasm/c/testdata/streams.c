/* streams: the streams fixture of the behaviour suite
 * (plugintest.RunStreamsPluginSuite) in C, through genehost.h (ABI 1.3):
 * each request calls a gh_stream_* or gh_topic_* import and answers on
 * its link; a failed call is answered (error CODE MESSAGE), CODE named
 * from the status as the JavaScript fixture's HostError codes. Besides the
 * suite's requests: (reset ^stream S ^group G ^seq N) sends (reset N),
 * (trim ^stream S ^through N) sends (trimmed THROUGH DELETED) and
 * (unlisten ^topic T) sends (unlistened B); (publish-raw ^stream S ^bytes
 * B) publishes the bytes B as if they were an encoded value. */
#define GH_DEFAULT_ON_OPEN
#define GH_DEFAULT_ON_CLOSE
#define GH_DEFAULT_ON_CONTROL
#define GH_DEFAULT_ON_TIMER
#define GENEHOST_IMPLEMENTATION
#include "genehost.h"

static const char *code_of(int32_t st) {
	switch (st) {
	case GH_NOT_GRANTED: return "not-granted";
	case GH_NOT_DELIVERED: return "not-delivered";
	case GH_BAD_NAME: return "bad-name";
	case GH_LINK_CLOSED: return "link-closed";
	case GH_BAD_VALUE: return "bad-value";
	}
	return "host";
}

/* Text props (names) and numbers of the request. */
static int str_prop(const gh_node *n, const char *key, const char **s, uint32_t *len) {
	gh_reader v;
	if (gh_find_prop(n->props, n->nprops, key, &v) < 0) return -1;
	return gh_read_string(&v, s, len);
}

static uint64_t uint_prop(const gh_node *n, const char *key) {
	gh_reader v;
	uint64_t u = 0;
	if (gh_find_prop(n->props, n->nprops, key, &v) == 0) gh_read_uint(&v, &u);
	return u;
}

static int raw_prop(const gh_node *n, const char *key, const uint8_t **p, uint32_t *len) {
	gh_reader v;
	if (gh_find_prop(n->props, n->nprops, key, &v) < 0) return -1;
	return gh_read_raw(&v, p, len);
}

/* serve answers one request into w; it returns GH_OK, -status of the
 * host call that failed, or UNKNOWN. */
enum { UNKNOWN = 1 };

/* reply_uints sends (head u...). */
static void reply_uints(gh_writer *w, const char *head, uint32_t count, const uint64_t *u) {
	gh_write_gene(w, head, 0, count);
	gh_write_part(w, count);
	for (uint32_t i = 0; i < count; i++) gh_write_uint(w, u[i]);
}

static void reply_bool(gh_writer *w, const char *head, int32_t st) {
	gh_write_gene(w, head, 0, 1);
	gh_write_part(w, 1);
	gh_write_bool(w, st == GH_OK);
}

/* publish_batch publishes ^entries [{^stream S ^value V} ...]. */
static int32_t publish_batch(const gh_node *n, gh_writer *w) {
	gh_reader v;
	uint32_t count;
	if (gh_find_prop(n->props, n->nprops, "entries", &v) < 0 || gh_read_list(&v, &count) < 0 || count == 0 || count > 64)
		return -GH_BAD_VALUE;
	gh_writer recs;
	gh_writer_init(&recs, NULL, 0);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t np, slen = 0, vlen = 0;
		const char *s = NULL;
		const uint8_t *val = NULL;
		if (gh_read_props(&v, &np) < 0) return -GH_BAD_VALUE;
		for (uint32_t j = 0; j < np; j++) {
			const char *k;
			uint32_t kn;
			if (gh_read_key(&v, &k, &kn) < 0) return -GH_BAD_VALUE;
			int bad = gh_eq(k, kn, "stream") ? gh_read_string(&v, &s, &slen)
			          : gh_eq(k, kn, "value") ? gh_read_raw(&v, &val, &vlen)
			                                  : gh_skip(&v);
			if (bad < 0) return -GH_BAD_VALUE;
		}
		if (!s || !val) return -GH_BAD_VALUE;
		uint8_t len[4];
		memcpy(len, &slen, 4); /* wasm32 is little-endian */
		gh_write_raw(&recs, len, 4);
		gh_write_raw(&recs, s, slen);
		memcpy(len, &vlen, 4);
		gh_write_raw(&recs, len, 4);
		gh_write_raw(&recs, val, vlen);
	}
	uint64_t seqs[64];
	int32_t st = recs.err ? GH_SHORT_BUFFER : gh_stream_publish_batch(recs.buf, recs.len, count, seqs);
	gh_writer_free(&recs);
	if (st != GH_OK) return -st;
	reply_uints(w, "published", count, seqs);
	return GH_OK;
}


static int32_t serve(uint64_t link, const gh_node *n, gh_writer *w) {
	const char *s = "", *g = "", *t = "";
	uint32_t slen = 0, glen = 0, tlen = 0;
	str_prop(n, "stream", &s, &slen);
	str_prop(n, "group", &g, &glen);
	str_prop(n, "topic", &t, &tlen);
	const uint8_t *val = NULL;
	uint32_t vlen = 0;
	raw_prop(n, "value", &val, &vlen);
	int64_t r;
	int32_t st;
	if (gh_node_is(n, "publish")) {
		if ((r = gh_stream_publish(s, slen, val, vlen)) < 0) return (int32_t)r;
		reply_uints(w, "published", 1, (uint64_t[]){(uint64_t)r});
	} else if (gh_node_is(n, "publish-raw")) {
		gh_reader b;
		if (gh_find_prop(n->props, n->nprops, "bytes", &b) < 0 || gh_read_bytes(&b, &val, &vlen) < 0) return UNKNOWN;
		if ((r = gh_stream_publish(s, slen, val, vlen)) < 0) return (int32_t)r;
		reply_uints(w, "published", 1, (uint64_t[]){(uint64_t)r});
	} else if (gh_node_is(n, "publish-batch")) {
		return publish_batch(n, w);
	} else if (gh_node_is(n, "attach")) {
		int64_t timeout = (int64_t)uint_prop(n, "ack-timeout-ms") * 1000000;
		if ((r = gh_stream_attach(link, s, slen, g, glen, (int32_t)uint_prop(n, "prefetch"), timeout, 0)) < 0) return (int32_t)r;
		reply_uints(w, "attached", 1, (uint64_t[]){(uint64_t)r});
	} else if (gh_node_is(n, "detach")) {
		if ((st = gh_stream_detach(link, s, slen, g, glen)) != GH_OK && st != GH_NOT_FOUND) return -st;
		reply_bool(w, "detached", st);
	} else if (gh_node_is(n, "ack")) {
		uint64_t seq = uint_prop(n, "seq");
		if ((st = gh_stream_ack(s, slen, g, glen, seq)) != GH_OK) return -st;
		reply_uints(w, "acked", 1, &seq);
	} else if (gh_node_is(n, "reset")) {
		if ((r = gh_stream_reset(s, slen, g, glen, uint_prop(n, "seq"))) < 0) return (int32_t)r;
		reply_uints(w, "reset", 1, (uint64_t[]){(uint64_t)r});
	} else if (gh_node_is(n, "trim")) {
		uint64_t out[2];
		if ((st = gh_stream_trim(s, slen, uint_prop(n, "through"), out)) != GH_OK) return -st;
		reply_uints(w, "trimmed", 2, out);
	} else if (gh_node_is(n, "info")) {
		/* A small buffer first, to take the "call again" path. */
		uint32_t cap = 16;
		uint8_t *buf = malloc(cap);
		while (buf && (r = gh_stream_info(buf, cap)) > (int64_t)cap) {
			cap = (uint32_t)r;
			free(buf);
			buf = malloc(cap);
		}
		if (!buf) return -GH_ERROR;
		if (r >= 0) {
			gh_write_gene(w, "info", 0, 1);
			gh_write_part(w, 1);
			gh_write_raw(w, buf, (uint32_t)r);
		}
		free(buf);
		if (r < 0) return (int32_t)r;
	} else if (gh_node_is(n, "broadcast")) {
		if ((r = gh_topic_publish(t, tlen, val, vlen)) < 0) return (int32_t)r;
		reply_uints(w, "sent", 1, (uint64_t[]){(uint64_t)r});
	} else if (gh_node_is(n, "listen")) {
		if ((st = gh_topic_subscribe(link, t, tlen)) != GH_OK) return -st;
		gh_write_gene(w, "listening", 0, 0);
	} else if (gh_node_is(n, "unlisten")) {
		if ((st = gh_topic_unsubscribe(link, t, tlen)) != GH_OK && st != GH_NOT_FOUND) return -st;
		reply_bool(w, "unlistened", st);
	} else {
		return UNKNOWN;
	}
	return GH_OK;
}

int32_t gh_on_values(uint64_t link, uint32_t count, uint32_t len) {
	gh_reader r = gh_reader_of(gh_input(), len);
	gh_writer w;
	gh_writer_init(&w, NULL, 0);
	for (uint32_t i = 0; i < count; i++) {
		gh_node n;
		if (gh_read_node(&r, &n) < 0) return gh_fail("streams: expected a request node");
		gh_writer_reset(&w);
		int32_t st = serve(link, &n, &w);
		if (st == UNKNOWN) {
			gh_writer_free(&w);
			return gh_fail("streams: unknown request");
		}
		if (st != GH_OK) {
			char msg[512];
			gh_writer_reset(&w);
			gh_write_gene(&w, "error", 0, 2);
			gh_write_part(&w, 2);
			gh_write_cstring(&w, code_of(-st));
			gh_write_cstring(&w, gh_last_error(msg, sizeof msg));
		}
		if (gh_send_w(link, &w) != GH_OK) {
			gh_writer_free(&w);
			char msg[256];
			return gh_fail(gh_last_error(msg, sizeof msg));
		}
	}
	gh_writer_free(&w);
	return GH_OK;
}
