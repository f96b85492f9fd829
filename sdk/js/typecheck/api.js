// @ts-check
/// <reference path="../genehost.d.ts" />
// The declarations against the API as host/jsrt implements it: every line
// here is valid in a handler, and every @ts-expect-error line is a misuse
// the declarations must refuse (tsc fails when one is accepted). This file
// is only type-checked, never run.

/**
 * @param {GeneValue} v
 * @returns {unknown}
 */
function received(v) {
  if (v === null || v === undefined) return 'nil or void';
  if (typeof v === 'number' || typeof v === 'bigint') return 'integer or float';
  if (v instanceof Float) return v.value + 0;
  if (v instanceof Char) return v.codePoint;
  if (v instanceof Sym) return v.name.length;
  if (Array.isArray(v)) return v.map(received);
  if (v instanceof Map) return [...v.keys()].map(received);
  if (v instanceof Gene) return [v.hasHead, v.head === gene.NO_HEAD, v.props.x, v.meta.doc, v.body.length];
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof GeneRegex) return v.pattern + v.flags;
  if (v instanceof GeneDate) return v.year + v.month + v.day;
  if (v instanceof GeneTime) return [v.hour, v.offset ?? 0, v.zone ?? 'none'];
  if (v instanceof GeneDateTime) return v.toDate().getTime();
  if (typeof v === 'object') return Object.keys(v); // a prop map
  return v; // boolean or string
}

/** @type {GeneInput[]} */
const inputs = [
  1, 1.5, 10n, 'text', true, null, undefined,
  gene.sym('s'), gene.char('c'), gene.float(1), gene.regex('a+', 'i'),
  gene.node('tick', 1, [2, 3]), new Gene(), new Gene(gene.sym('f'), { p: 1 }, [2], { m: 3 }),
  new Map([[gene.sym('k'), 1]]), new Uint8Array([1, 2]), new Date(0), /ab+c/i,
  Object.freeze([1, 2]), Object.freeze({ a: 1 }), { nested: [{ deep: new GeneDate(2026, 11, 24) }] },
  new GeneTime(9, 30), new GeneTime(9, 30, 15, 250000, 60, null), new GeneDateTime(2026, 1, 2, 3, 4, 5, 6, -60, 'America/Nuuk'),
  GeneDateTime.fromDate(new Date(0)),
  // The runtime converts what a node holds when it is sent: a Date inside
  // is a date-time.
  new Gene(gene.sym('tick'), { at: new Date() }, [new Date(0), /x/], null),
  gene.node('at', new Date(0)),
];

/** @param {unknown} e */
function caught(e) {
  if (e instanceof GoError) return e.name + e.message;
  return String(e);
}
caught(null);

/** @type {genehost.Handler} */
const valuesHandler = {
  open(link) { console.log(link.id, link.interface, link.peer, received(link.meta)); },
  values(link, values) {
    for (const v of values) link.send(v);
    const sent = link.send(inputs[0]);
    if (link.direction === 'send+recv' && sent) return genehost.PAUSE;
    return 'continue';
  },
  close(link, reason) { link.close(reason); link.resume(); },
  timer(id) { genehost.cancelTimer(id); clearTimeout(setTimeout((a, b) => a + b, 10, 1, 2)); },
  control: {
    async echo(arg, link) { if (link) await link.sendAsync(arg); return arg; },
    nothing() {},
    stats() { return { value: genehost.kv.get('k'), keys: genehost.kv.scan({ prefix: 'a', after: new Uint8Array([1]), limit: 3 }) }; },
  },
};

/** @type {genehost.Handler} */
const valueHandler = {
  async value(link, v) {
    try {
      genehost.kv.put(new Uint8Array([0]), v);
      genehost.kv.delete('k');
      if (!genehost.kv.cas('k', undefined, { n: 1 })) genehost.kv.cas(new Uint8Array([1]), genehost.kv.get('k'), undefined);
      /** @type {number | bigint} */ const n = genehost.kv.incr('hits');
      /** @type {number} */ const seq = genehost.streams.publish('orders', v);
      /** @type {number[]} */ const seqs = genehost.streams.publishBatch([['orders', v], ['audit', seq]]);
      genehost.streams.attach(link, 'orders', 'billing', { prefetch: 8, ackTimeoutMs: 5000, from: 'latest' });
      genehost.streams.ack('orders', 'billing', seqs[0]);
      /** @type {boolean} */ const left = genehost.streams.detach(link.id, 'orders', 'billing');
      genehost.topics.subscribe(link, 'news');
      /** @type {number} */ const heard = genehost.topics.publish('news', { left });
      for (const s of genehost.streams.info()) genehost.streams.trim(s.stream, Math.min(s.head, heard));
      genehost.kv.incr('big', 10n);
      link.send(genehost.error('bad-request', 'no ^key', n));
      link.send(genehost.error('bad-request', 'no ^key'));
      link.send(received(v) === 1 ? gene.equal(v, 1) : 0);
    } catch (e) {
      if (e instanceof genehost.NoCreditError) await link.sendAsync(e.code);
      else if (e instanceof genehost.HostError && e.code === 'not-granted') link.send(e.message);
      else if (e instanceof genehost.HostError && e.code === 'not-integer') link.send(genehost.error(e.code, e.message));
      else throw e;
    }
  },
};

/** @type {genehost.Handler} */
const emptyHandler = { control: { ping: () => gene.sym('pong') } };

// Misuses.

/** @param {genehost.Handler} h */
function accept(h) { return h; }
// @ts-expect-error values() and value() together
accept({ values() {}, value() {} });

/** @type {genehost.Handler} */
const badFlow = {
  // @ts-expect-error a values handler returns nothing or "pause"
  values() { return 42; },
};

/** @type {genehost.Handler} */
const badControl = {
  // @ts-expect-error control is an object of operations
  control: () => 1,
};

function misuses() {
  /** @type {genehost.Link} */
  const link = valuesHandler.open ? /** @type {any} */ (null) : null;
  // @ts-expect-error a function has no Gene form
  link.send(() => 1);
  // @ts-expect-error a JavaScript symbol has no Gene form
  link.send(Symbol('x'));
  // @ts-expect-error a promise has no Gene form (a missing await)
  link.send(link.sendAsync(1));
  // @ts-expect-error an Error is not a symbol
  link.send(new Error('x'));
  // @ts-expect-error keys are strings or Uint8Arrays
  genehost.kv.get(5);
  // @ts-expect-error incr adds an integer, not a string
  genehost.kv.incr('k', '1');
  // @ts-expect-error cas needs expected and next (undefined for absent)
  genehost.kv.cas('k', 1);
  // @ts-expect-error an error's code is a string
  genehost.error(404, 'not found');
  // @ts-expect-error timer delays are numbers of milliseconds
  genehost.setTimer('10');
  // @ts-expect-error setInterval does not exist in a handler
  setInterval(() => {}, 1);
  // @ts-expect-error nor does process
  process.exit(1);
  // @ts-expect-error a Sym's name is a string
  new Sym(1);
  // @ts-expect-error HostError codes are a closed set
  /** @type {genehost.HostErrorCode} */ const c = 'oops';
  // @ts-expect-error gene.node's head is a string or a value
  gene.node(() => 1);
  return c;
}

module.exports = [valuesHandler, valueHandler, emptyHandler, accept, badFlow, badControl, misuses];
