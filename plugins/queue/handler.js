// queue: a durable message queue with topics, consumer groups,
// acknowledgements and redelivery, plus topics without durability. See
// plugin.gene for every message and plugins/README.md ("queue") for the
// semantics.
//
// It runs on the host's streams (^grants {^streams true}; ABI.md,
// "Streams"): each queue topic is a stream, each group a consumer group
// of it. The plugin answers requests; the host keeps the logs and the
// positions (in the embedded database, or NATS JetStream with serve
// --nats, so consumers on any host see publishes on any host) and does
// the delivery: a subscribe attaches the link to the group, and from then
// on the host pushes (message ...) to it under its credit and prefetch,
// redelivers what is not acknowledged in time, and gives a leaving
// consumer's messages to the others. No code of this plugin runs per
// delivery. Acks, publishes and broadcasts come to the plugin only in
// batches mixed with other requests: a batch made only of them is
// answered by the host (^streams {^ack "ack" ^publish "publish"
// ^broadcast "broadcast"} in plugin.gene, ABI.md "Streams"), the same way
// as here, which is the common case of consumers and producers.
//
// Publishes: the publishes of one batch of requests are committed
// together (streams.publishBatch, one durable write) before any of their
// replies is sent. Replies that find no credit wait in the link's outbox
// and the link is paused until they are sent.
'use strict';

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const DEFAULT_PREFETCH = 16;
const MAX_PREFETCH = 256;
const DEFAULT_ACK_TIMEOUT_MS = 30000;
const MIN_RETRY_MS = 2;
const MAX_RETRY_MS = 200;

const streams = genehost.streams;
const topicsAPI = genehost.topics;
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const node = (head, props) => new Gene(gene.sym(head), props, []);

class RequestError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// Conn is one open link.
class Conn {
  constructor(link) {
    this.link = link;
    this.out = []; // replies that met no credit, in order
    this.paused = false; // values() returned PAUSE; resume when out drains
  }
}

const conns = new Map(); // link id -> Conn
// pending holds the publishes of the batch being served ([stream,
// value]), held the replies waiting for their commit, in order: [conn,
// reply, isPublished]. Both are empty between callbacks.
let pending = [];
let held = [];

function connOf(link) {
  let c = conns.get(link.id);
  if (!c) {
    c = new Conn(link);
    conns.set(link.id, c);
  }
  return c;
}

// commit makes the pending publishes durable in one write, fills in their
// sequence numbers and sends the held replies. If the write fails, the
// publishes are answered with errors.
function commit() {
  if (pending.length > 0) {
    const entries = pending;
    pending = [];
    try {
      const seqs = streams.publishBatch(entries);
      let i = 0;
      for (const h of held) if (h[2]) h[1].props.seq = seqs[i++];
    } catch (e) {
      if (!(e instanceof genehost.HostError)) throw e;
      const code = e.code === 'not-granted' ? 'not-granted' : 'store';
      for (const h of held) {
        if (!h[2]) continue;
        const err = node('error', { code, message: e.message });
        if (has(h[1].props, 'id')) err.props.id = h[1].props.id;
        h[1] = err;
      }
    }
  }
  const replies = held;
  held = [];
  for (const [conn, out] of replies) reply(conn, out);
}

// --- sending ---

// reply sends a reply, or queues it behind the replies already waiting.
function reply(conn, v) {
  if (conn.out.length === 0) {
    try {
      conn.link.send(v);
      return;
    } catch (e) {
      if (!(e instanceof genehost.HostError)) throw e;
      if (e.code !== 'no-credit') return; // the link is gone
    }
  }
  conn.out.push(v);
  armRetry();
}

// flush sends the waiting replies; true when none is left.
function flush(conn) {
  while (conn.out.length > 0) {
    try {
      conn.link.send(conn.out[0]);
    } catch (e) {
      if (!(e instanceof genehost.HostError)) throw e;
      if (e.code === 'no-credit') return false;
      conn.out.length = 0; // the link is gone
      break;
    }
    conn.out.shift();
  }
  if (conn.paused) {
    conn.paused = false;
    conn.link.resume();
  }
  return true;
}

let retryTimer = null;
let retryMs = MIN_RETRY_MS;

function armRetry() {
  if (retryTimer === null) retryTimer = setTimeout(retry, retryMs);
}

// retry sends the replies that met no credit, backing off while nothing
// moves.
function retry() {
  retryTimer = null;
  let waiting = false;
  let moved = false;
  for (const conn of conns.values()) {
    if (conn.out.length === 0) continue;
    const before = conn.out.length;
    if (!flush(conn)) waiting = true;
    if (conn.out.length < before) moved = true;
  }
  retryMs = moved ? MIN_RETRY_MS : Math.min(retryMs * 2, MAX_RETRY_MS);
  if (waiting) armRetry();
}

// --- requests ---

function str(props, key) {
  const v = props[key];
  if (typeof v !== 'string') throw new RequestError('bad-request', `^${key} must be a string`);
  return v;
}

function name(props, key) {
  const v = str(props, key);
  if (!NAME.test(v)) throw new RequestError('bad-request', `^${key} ${JSON.stringify(v)} must be 1 to 128 of A-Z a-z 0-9 _ . -`);
  return v;
}

function int(props, key, def, min, max) {
  if (!has(props, key)) return def;
  const v = props[key];
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RequestError('bad-request', `^${key} must be an integer from ${min} to ${max}`);
  }
  return v;
}

const handlers = {
  publish(conn, p) {
    const topic = name(p, 'topic');
    if (!has(p, 'value')) throw new RequestError('bad-request', '(publish ...) needs ^value');
    pending.push([topic, p.value]);
    return node('published', { topic, seq: 0 }); // seq filled in by commit
  },

  subscribe(conn, p) {
    const topic = name(p, 'topic');
    const group = name(p, 'group');
    const prefetch = int(p, 'prefetch', DEFAULT_PREFETCH, 1, MAX_PREFETCH);
    const ackTimeoutMs = int(p, 'ack-timeout-ms', DEFAULT_ACK_TIMEOUT_MS, 10, 3600000);
    const from = has(p, 'from') ? str(p, 'from') : 'earliest';
    if (from !== 'earliest' && from !== 'latest') throw new RequestError('bad-request', '^from must be "earliest" or "latest"');
    const acked = streams.attach(conn.link, topic, group, { prefetch, ackTimeoutMs, from });
    return node('subscribed', { topic, group, acked });
  },

  unsubscribe(conn, p) {
    const topic = name(p, 'topic');
    const group = name(p, 'group');
    const existed = streams.detach(conn.link, topic, group);
    return node('unsubscribed', { topic, group, existed });
  },

  ack(conn, p) {
    const topic = name(p, 'topic');
    const group = name(p, 'group');
    const seq = int(p, 'seq', undefined, 1, Number.MAX_SAFE_INTEGER);
    if (seq === undefined) throw new RequestError('bad-request', '(ack ...) needs ^seq');
    try {
      streams.ack(topic, group, seq);
    } catch (e) {
      if (e instanceof genehost.HostError && e.code === 'not-delivered') {
        throw new RequestError('not-delivered', `${topic}/${group}: message ${seq} has not been delivered`);
      }
      throw e;
    }
    return node('acked', { topic, group, seq });
  },

  broadcast(conn, p) {
    const topic = name(p, 'topic');
    if (!has(p, 'value')) throw new RequestError('bad-request', '(broadcast ...) needs ^value');
    const receivers = topicsAPI.publish(topic, p.value);
    return node('broadcasted', { topic, receivers });
  },

  listen(conn, p) {
    const topic = name(p, 'topic');
    topicsAPI.subscribe(conn.link, topic);
    return node('listening', { topic });
  },

  unlisten(conn, p) {
    const topic = name(p, 'topic');
    const existed = topicsAPI.unsubscribe(conn.link, topic);
    return node('unlistened', { topic, existed });
  },
};

const WANT = 'want (publish ...), (subscribe ...), (ack ...), (unsubscribe ...), (broadcast ...), (listen ...) or (unlisten ...)';

// serve answers one request. Publishes stay pending (their replies held)
// until commit, at the end of the batch or before the next request of
// another kind, which thus sees every publish before it durable.
function serve(conn, v) {
  const props = v instanceof Gene ? v.props : {};
  let out;
  let published = false;
  const h = v instanceof Gene && v.head instanceof Sym && has(handlers, v.head.name) ? handlers[v.head.name] : null;
  if (h !== handlers.publish) commit();
  try {
    if (!h) throw new RequestError('bad-request', WANT);
    out = h(conn, props);
    published = h === handlers.publish;
  } catch (e) {
    let code = 'store';
    if (e instanceof RequestError) code = e.code;
    else if (e instanceof genehost.HostError && e.code === 'not-granted') code = 'not-granted';
    else if (!(e instanceof genehost.HostError)) throw e;
    out = node('error', { code, message: e.message });
  }
  if (has(props, 'id')) out.props.id = props.id;
  // A quiet ack gets no answer, not even an error (its message is
  // delivered again after the ack timeout), as when the host serves it.
  if (!(h === handlers.ack && props.quiet === true)) held.push([conn, out, published]);
  if (pending.length === 0) commit();
}

// --- control operations ---

function control(fn) {
  return (arg) => {
    try {
      return fn(arg ?? {});
    } catch (e) {
      if (e instanceof RequestError) throw new Error(`${e.code}: ${e.message}`);
      throw e;
    }
  };
}

module.exports = {
  open(link) {
    connOf(link);
  },

  values(link, values) {
    const conn = connOf(link);
    try {
      for (const v of values) serve(conn, v);
    } finally {
      commit();
    }
    if (conn.out.length > 0) {
      conn.paused = true;
      return genehost.PAUSE;
    }
  },

  close(link) {
    // The host ends the link's attachments and subscriptions itself.
    conns.delete(link.id);
  },

  control: {
    topics: control(() =>
      streams.info().map((s) => ({
        topic: s.stream,
        head: s.head,
        groups: s.groups.map((g) => ({ group: g.group, acked: g.acked, consumers: g.consumers, unacked: g.unacked })),
      })),
    ),
    reset: control((arg) => {
      const topic = name(arg, 'topic');
      const group = name(arg, 'group');
      const want = int(arg, 'seq', undefined, 1, Number.MAX_SAFE_INTEGER);
      if (want === undefined) throw new RequestError('bad-request', 'reset needs ^seq');
      return { topic, group, seq: streams.reset(topic, group, want) };
    }),
    trim: control((arg) => {
      const topic = name(arg, 'topic');
      const through = int(arg, 'through', undefined, 0, Number.MAX_SAFE_INTEGER);
      if (through === undefined) throw new RequestError('bad-request', 'trim needs ^through');
      const r = streams.trim(topic, through);
      return { topic, through: r.through, deleted: r.deleted };
    }),
  },
};
