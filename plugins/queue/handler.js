// queue: a durable message queue with topics, consumer groups,
// acknowledgements and redelivery. See plugin.gene for every message and
// plugins/README.md ("queue") for the semantics.
//
// One instance serves every link (^instances "pool" ^pool 1): producers
// and consumers meet here, and a group's consumers share its position.
//
// Store (the kv grant), per topic T and group G:
//   head/T            a recent sequence number of T: written on T's first
//                     publish, every HEAD_EVERY publishes and by trim; the
//                     last one is found by scanning the log from it
//   log/T/<seq>       the value published as number seq (16 digits, so
//                     keys sort by number)
//   pos/T/G           G's acknowledged position: every seq <= it is acked
//
// Commits: a store commit is an fsync, so writes are grouped. The
// publishes of one batch of requests commit together (kv.batch) before
// any of their replies is sent; positions are written behind, every
// POS_DELAY_MS for all the groups that moved (or with the next batch of
// publishes, whichever comes first): a crash before that redelivers what
// was acknowledged meanwhile, which at-least-once delivery allows.
//
// Flow control: nothing is read from the log ahead of a consumer. A
// message is read (one store scan) only when a consumer has room for it:
// fewer than its prefetch messages unacknowledged, nothing waiting in its
// outbox, and the last send found credit. A send that finds no credit
// (link.send is TrySend) marks the link blocked; the message stays in the
// log, and a timer retries with backoff. Replies that find no credit wait
// in the link's outbox and the link is paused until they are sent, so at
// most one batch of replies waits per link. In memory per group: the
// unacknowledged messages' sequence numbers (at most MAX_UNACKED), not
// their values.
'use strict';

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const DEFAULT_PREFETCH = 16;
const MAX_PREFETCH = 256;
const DEFAULT_ACK_TIMEOUT_MS = 30000;
const MAX_UNACKED = 1000; // per group: how far delivery may run ahead of the acked position
const HEAD_EVERY = 32; // publishes between writes of head/T (a publish costs one write)
const MIN_RETRY_MS = 2;
const MAX_RETRY_MS = 200;
const POS_DELAY_MS = 5; // positions are written at most this long after they move
const POS_RETRY_MS = 1000; // after a failed write of positions

const kv = genehost.kv;
const seqKey = (topic, seq) => `log/${topic}/${String(seq).padStart(16, '0')}`;
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
    this.blocked = false; // the last push met no credit
    this.consumers = new Map(); // group key -> Consumer
  }
}

// Consumer is one link's subscription to a group.
class Consumer {
  constructor(conn, group, prefetch, ackTimeoutMs) {
    this.conn = conn;
    this.group = group;
    this.prefetch = prefetch;
    this.ackTimeoutMs = ackTimeoutMs;
    this.unacked = 0;
  }
  get ready() {
    return this.unacked < this.prefetch && !this.conn.blocked && this.conn.out.length === 0;
  }
}

// Group is a consumer group of a topic: its acked position and what is in
// flight.
class Group {
  constructor(topic, name, pos) {
    this.topic = topic;
    this.name = name;
    this.pos = pos; // every seq <= pos is acknowledged (durable)
    this.next = pos + 1; // the next seq to read from the log
    this.inflight = new Map(); // seq -> {consumer, timer, attempt}
    this.redeliver = []; // seqs whose ack timed out, ascending
    this.attempts = new Map(); // seq -> deliveries so far
    this.ackedAbove = new Set(); // acked seqs > pos + 1 (acked out of order)
    this.consumers = [];
    this.rr = 0; // round-robin cursor
  }
}

const conns = new Map(); // link id -> Conn
// dirty holds the groups a request changed; they are dispatched once its
// reply is sent, so a client gets the reply before the messages it
// caused.
const dirty = new Set();
// unsaved holds the groups whose position moved since it was last
// written; posTimer writes them all in one commit.
const unsaved = new Set();
let posTimer = null;
// pending holds the store writes of the publishes of the batch being
// served (kv.batch operations), and held the replies waiting for their
// commit, in order: [conn, reply, isPublished]. Both are empty between
// callbacks.
let pending = [];
const pendingTopics = new Set();
let held = [];
const groups = new Map(); // "T/G" -> Group
const heads = new Map(); // topic -> last seq (cache of head/T)

function connOf(link) {
  let c = conns.get(link.id);
  if (!c) {
    c = new Conn(link);
    conns.set(link.id, c);
  }
  return c;
}

// --- the log ---

// head returns the last sequence number of topic (0: none yet).
function head(topic) {
  let h = heads.get(topic);
  if (h === undefined) {
    const hint = kv.get(`head/${topic}`);
    h = hint ?? 0;
    for (;;) {
      const more = kv.scan({ prefix: `log/${topic}/`, after: seqKey(topic, h), limit: 256 });
      if (more.length === 0) break;
      h = Number(more[more.length - 1][0].slice(`log/${topic}/`.length));
    }
    heads.set(topic, h);
    if (hint === undefined && h > 0) kv.put(`head/${topic}`, h);
  }
  return h;
}

// publish appends value to topic's log: one store write (the head is
// written now and then; see the store layout above), pending until
// commit, which makes it durable before the producer is answered.
function publish(topic, value) {
  const seq = head(topic) + 1;
  pending.push(['put', seqKey(topic, seq), value]);
  if (seq === 1 || seq % HEAD_EVERY === 0) pending.push(['put', `head/${topic}`, seq]);
  pendingTopics.add(topic);
  heads.set(topic, seq);
  return seq;
}

// commit makes the pending publishes durable in one store commit (with
// the positions waiting to be written), then sends the held replies and
// dispatches the groups the requests changed, so a client gets its
// replies before the messages they caused. If the commit fails, the
// publishes are answered with errors and the topics' heads are read
// again from the store.
function commit() {
  if (pending.length > 0) {
    const ops = pending;
    pending = [];
    const saving = [...unsaved];
    for (const g of saving) ops.push(['put', posKey(g), g.pos]);
    try {
      kv.batch(ops);
      for (const g of saving) unsaved.delete(g);
      if (unsaved.size === 0 && posTimer !== null) {
        clearTimeout(posTimer);
        posTimer = null;
      }
    } catch (e) {
      if (!(e instanceof genehost.HostError)) throw e;
      for (const t of pendingTopics) heads.delete(t);
      const code = e.code === 'not-granted' ? 'not-granted' : 'store';
      for (const h of held) {
        if (!h[2]) continue;
        const err = node('error', { code, message: e.message });
        if (has(h[1].props, 'id')) err.props.id = h[1].props.id;
        h[1] = err;
      }
    }
    pendingTopics.clear();
  }
  const replies = held;
  held = [];
  for (const [conn, out] of replies) reply(conn, out);
  for (const g of dirty) dispatch(g);
  dirty.clear();
}

// readFrom returns the first entry at or after seq, or undefined.
function readFrom(topic, seq) {
  const found = kv.scan({ prefix: `log/${topic}/`, after: seqKey(topic, seq - 1), limit: 1 });
  if (found.length === 0) return undefined;
  const [key, value] = found[0];
  return { seq: Number(key.slice(`log/${topic}/`.length)), value };
}

// --- groups ---

function groupOf(topic, name, from = 'earliest') {
  const key = `${topic}/${name}`;
  let g = groups.get(key);
  if (g) return g;
  let pos = kv.get(`pos/${key}`);
  if (pos === undefined) {
    pos = from === 'latest' ? head(topic) : 0;
    kv.put(`pos/${key}`, pos);
  }
  g = new Group(topic, name, pos);
  groups.set(key, g);
  return g;
}

const posKey = (g) => `pos/${g.topic}/${g.name}`;

function savePos(g) {
  kv.put(posKey(g), g.pos);
  unsaved.delete(g);
}

// moved notes that g's position changed; it is written within
// POS_DELAY_MS.
function moved(g) {
  unsaved.add(g);
  if (posTimer === null) posTimer = setTimeout(savePositions, POS_DELAY_MS);
}

// savePositions writes the position of every group that moved, in one
// commit. After a failure it tries again later (and the positions ride
// along with the next commit of publishes).
function savePositions() {
  if (posTimer !== null) {
    clearTimeout(posTimer);
    posTimer = null;
  }
  if (unsaved.size === 0) return;
  const saving = [...unsaved];
  try {
    kv.batch(saving.map((g) => ['put', posKey(g), g.pos]));
  } catch (e) {
    posTimer = setTimeout(savePositions, POS_RETRY_MS);
    throw e;
  }
  for (const g of saving) unsaved.delete(g);
}

// markAcked records seq as acknowledged and advances the position over
// every contiguous acked seq.
function markAcked(g, seq) {
  g.attempts.delete(seq);
  if (seq <= g.pos) return;
  if (seq !== g.pos + 1) {
    g.ackedAbove.add(seq);
    return;
  }
  g.pos = seq;
  while (g.ackedAbove.delete(g.pos + 1)) g.pos++;
  moved(g);
}

// dispatch sends what g's ready consumers have room for: redeliveries
// first, then the log from g.next.
function dispatch(g) {
  for (;;) {
    const c = pickConsumer(g);
    if (!c) return;
    let seq;
    let value;
    const again = g.redeliver.length > 0;
    if (again) {
      seq = g.redeliver[0];
      value = kv.get(seqKey(g.topic, seq));
      if (value === undefined) {
        // Trimmed meanwhile: nothing to deliver.
        g.redeliver.shift();
        markAcked(g, seq);
        continue;
      }
    } else {
      if (g.next - 1 - g.pos >= MAX_UNACKED) return;
      const e = readFrom(g.topic, g.next);
      if (!e) return; // caught up
      if (e.seq > g.next) {
        // A gap: entries trimmed before this group reached them.
        if (g.pos === g.next - 1) {
          g.pos = e.seq - 1;
          moved(g);
        } else {
          console.error(`queue: ${g.topic}/${g.name}: log entries ${g.next}..${e.seq - 1} are missing`);
          for (let s = g.next; s < e.seq; s++) g.ackedAbove.add(s);
        }
        g.next = e.seq;
      }
      seq = e.seq;
      value = e.value;
    }
    const attempt = (g.attempts.get(seq) ?? 0) + 1;
    const msg = node('message', { topic: g.topic, group: g.name, seq, value, attempt });
    if (!push(c.conn, msg)) continue; // c is blocked now; try another consumer
    g.rr = (g.consumers.indexOf(c) + 1) % g.consumers.length;
    if (again) g.redeliver.shift();
    else g.next = seq + 1;
    g.attempts.set(seq, attempt);
    const timer = setTimeout(expire, c.ackTimeoutMs, g, seq, attempt);
    g.inflight.set(seq, { consumer: c, timer, attempt });
    c.unacked++;
  }
}

// pickConsumer returns the first ready consumer from the round-robin
// cursor (which moves past a consumer once it was sent a message).
function pickConsumer(g) {
  const n = g.consumers.length;
  for (let i = 0; i < n; i++) {
    const c = g.consumers[(g.rr + i) % n];
    if (c.ready) return c;
  }
  return undefined;
}

// expire runs when a delivery's ack timeout passes.
function expire(g, seq, attempt) {
  const f = g.inflight.get(seq);
  if (!f || f.attempt !== attempt) return;
  g.inflight.delete(seq);
  f.consumer.unacked--;
  requeue(g, seq);
  dispatch(g);
}

function requeue(g, seq) {
  const i = g.redeliver.findIndex((s) => s > seq);
  if (i < 0) g.redeliver.push(seq);
  else g.redeliver.splice(i, 0, seq);
}

// release gives back a consumer's unacknowledged messages and removes it.
function release(c) {
  const g = c.group;
  for (const [seq, f] of g.inflight) {
    if (f.consumer !== c) continue;
    clearTimeout(f.timer);
    g.inflight.delete(seq);
    requeue(g, seq);
  }
  c.unacked = 0;
  g.consumers = g.consumers.filter((x) => x !== c);
  c.conn.consumers.delete(`${g.topic}/${g.name}`);
}

// --- sending ---

// push sends a message to a consumer; false when it met no credit (the
// link is then blocked until the retry timer or its next request).
function push(conn, v) {
  try {
    conn.link.send(v);
    return true;
  } catch (e) {
    if (!(e instanceof genehost.HostError)) throw e;
    conn.blocked = true;
    if (e.code === 'no-credit') armRetry();
    return false;
  }
}

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
  conn.blocked = true;
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

// retry unblocks the links that met no credit and delivers to them again,
// backing off while nothing moves.
function retry() {
  retryTimer = null;
  let waiting = false;
  let moved = false;
  for (const conn of conns.values()) {
    if (!conn.blocked) continue;
    const before = conn.out.length;
    if (!flush(conn)) {
      waiting = true;
      if (conn.out.length < before) moved = true;
      continue;
    }
    conn.blocked = false;
    for (const c of conn.consumers.values()) dispatch(c.group);
    if (conn.blocked) waiting = true;
    else moved = true;
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
    const seq = publish(topic, p.value);
    for (const g of groups.values()) if (g.topic === topic) dirty.add(g);
    return node('published', { topic, seq });
  },

  subscribe(conn, p) {
    const topic = name(p, 'topic');
    const group = name(p, 'group');
    const prefetch = int(p, 'prefetch', DEFAULT_PREFETCH, 1, MAX_PREFETCH);
    const ackTimeoutMs = int(p, 'ack-timeout-ms', DEFAULT_ACK_TIMEOUT_MS, 10, 3600000);
    const from = has(p, 'from') ? str(p, 'from') : 'earliest';
    if (from !== 'earliest' && from !== 'latest') throw new RequestError('bad-request', '^from must be "earliest" or "latest"');
    const g = groupOf(topic, group, from);
    let c = conn.consumers.get(`${topic}/${group}`);
    if (c) {
      c.prefetch = prefetch;
      c.ackTimeoutMs = ackTimeoutMs;
    } else {
      c = new Consumer(conn, g, prefetch, ackTimeoutMs);
      conn.consumers.set(`${topic}/${group}`, c);
      g.consumers.push(c);
    }
    dirty.add(g);
    return node('subscribed', { topic, group, acked: g.pos });
  },

  unsubscribe(conn, p) {
    const topic = name(p, 'topic');
    const group = name(p, 'group');
    const c = conn.consumers.get(`${topic}/${group}`);
    if (c) {
      release(c);
      dirty.add(c.group);
    }
    return node('unsubscribed', { topic, group, existed: c !== undefined });
  },

  ack(conn, p) {
    const topic = name(p, 'topic');
    const group = name(p, 'group');
    const seq = int(p, 'seq', undefined, 1, Number.MAX_SAFE_INTEGER);
    if (seq === undefined) throw new RequestError('bad-request', '(ack ...) needs ^seq');
    const g = groupOf(topic, group);
    const f = g.inflight.get(seq);
    if (f) {
      clearTimeout(f.timer);
      g.inflight.delete(seq);
      f.consumer.unacked--;
    } else if (seq > g.pos && seq >= g.next) {
      throw new RequestError('not-delivered', `${topic}/${group}: message ${seq} has not been delivered`);
    }
    const i = g.redeliver.indexOf(seq);
    if (i >= 0) g.redeliver.splice(i, 1); // acked late, after its timeout
    markAcked(g, seq);
    dirty.add(g);
    return node('acked', { topic, group, seq });
  },
};

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
    if (!h) throw new RequestError('bad-request', 'want (publish ...), (subscribe ...), (ack ...) or (unsubscribe ...)');
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
  held.push([conn, out, published]);
  if (pending.length === 0) commit();
}

// --- control operations ---

function topics() {
  return kv.scan({ prefix: 'head/' }).map(([key]) => {
    const topic = key.slice('head/'.length);
    const gs = kv.scan({ prefix: `pos/${topic}/` }).map(([k, pos]) => {
      const name = k.slice(`pos/${topic}/`.length);
      const g = groups.get(`${topic}/${name}`);
      return {
        group: name,
        acked: g ? g.pos : pos,
        consumers: g ? g.consumers.length : 0,
        unacked: g ? g.inflight.size + g.redeliver.length : 0,
      };
    });
    return { topic, head: head(topic), groups: gs };
  });
}

function reset(arg) {
  const topic = name(arg, 'topic');
  const group = name(arg, 'group');
  const want = int(arg, 'seq', undefined, 1, Number.MAX_SAFE_INTEGER);
  if (want === undefined) throw new RequestError('bad-request', 'reset needs ^seq');
  const seq = Math.min(want, head(topic) + 1);
  const g = groupOf(topic, group);
  for (const f of g.inflight.values()) {
    clearTimeout(f.timer);
    f.consumer.unacked--;
  }
  g.inflight.clear();
  g.redeliver = [];
  g.attempts.clear();
  g.ackedAbove.clear();
  g.pos = seq - 1;
  g.next = seq;
  savePos(g);
  dispatch(g);
  return { topic, group, seq };
}

// trim deletes the log entries of topic up to ^through, never past the
// lowest acked position of its groups.
function trim(arg) {
  const topic = name(arg, 'topic');
  let through = int(arg, 'through', undefined, 0, Number.MAX_SAFE_INTEGER);
  if (through === undefined) throw new RequestError('bad-request', 'trim needs ^through');
  savePositions(); // so the bound below is durable
  for (const [k, pos] of kv.scan({ prefix: `pos/${topic}/` })) {
    const g = groups.get(k.slice('pos/'.length));
    through = Math.min(through, g ? g.pos : pos);
  }
  // Write the exact head first: once the log is empty it is the only
  // record of where the topic's numbering stands.
  kv.put(`head/${topic}`, head(topic));
  let deleted = 0;
  for (;;) {
    const batch = kv.scan({ prefix: `log/${topic}/`, limit: 256 });
    const old = batch.filter(([k]) => Number(k.slice(`log/${topic}/`.length)) <= through);
    for (const [k] of old) if (kv.delete(k)) deleted++;
    if (old.length < batch.length || batch.length === 0) break;
  }
  return { topic, through, deleted };
}

function controlError(e) {
  if (e instanceof RequestError) return new Error(`${e.code}: ${e.message}`);
  return e;
}

module.exports = {
  open(link) {
    connOf(link);
  },

  values(link, values) {
    const conn = connOf(link);
    // A request shows the client is reading: try again what met no credit.
    if (conn.blocked && flush(conn)) {
      conn.blocked = false;
      for (const c of conn.consumers.values()) dirty.add(c.group);
    }
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
    const conn = conns.get(link.id);
    if (!conn) return;
    conns.delete(link.id);
    const gs = [];
    for (const c of [...conn.consumers.values()]) {
      gs.push(c.group);
      release(c);
    }
    for (const g of gs) dispatch(g);
    savePositions(); // a consumer that leaves in order finds its position written
  },

  control: {
    topics() {
      return topics();
    },
    reset(arg) {
      try {
        return reset(arg ?? {});
      } catch (e) {
        throw controlError(e);
      }
    },
    trim(arg) {
      try {
        return trim(arg ?? {});
      } catch (e) {
        throw controlError(e);
      }
    },
  },
};
