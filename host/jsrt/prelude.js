// The genehost prelude: the classes and functions every JavaScript handler
// sees as globals. It is compiled once per process and run first in every
// instance; native holds the instance's host functions (written in Go), and
// the object it returns is what the Go side needs to convert values.
// Keep it in step with sdk/js/genehost.d.ts and sdk/js/README.md.
(function (native, global) {
  'use strict';

  // NO_HEAD is the head of a node written () (no head at all), which is
  // different from a node whose head is nil or void.
  const NO_HEAD = Symbol('gene.NO_HEAD');

  class Sym {
    constructor(name) {
      if (typeof name !== 'string') throw new TypeError('Sym: name must be a string, got ' + typeof name);
      this.name = name;
    }
    toString() { return this.name; }
  }

  class Char {
    constructor(value) {
      if (typeof value !== 'string' || [...value].length !== 1) {
        throw new TypeError('Char: expected exactly one character, got ' + JSON.stringify(value));
      }
      this.value = value;
    }
    get codePoint() { return this.value.codePointAt(0); }
    toString() { return this.value; }
  }

  // Float marks a number that is a Gene float although JavaScript would
  // take it for an integer (1.0, -0.0).
  class Float {
    constructor(value) {
      if (typeof value !== 'number') throw new TypeError('Float: value must be a number, got ' + typeof value);
      this.value = value;
    }
    valueOf() { return this.value; }
    toString() { return Object.is(this.value, -0) ? '-0.0' : Number.isInteger(this.value) ? this.value + '.0' : String(this.value); }
  }

  class Gene {
    // new Gene() has no head; new Gene(head, props, body, meta) sets each.
    constructor(...args) {
      this.head = args.length > 0 ? args[0] : NO_HEAD;
      this.props = args[1] ?? {};
      this.meta = args[3] ?? {};
      this.body = args[2] ?? [];
    }
    get hasHead() { return this.head !== NO_HEAD; }
  }

  class GeneRegex {
    constructor(pattern, flags = '') {
      if (typeof pattern !== 'string') throw new TypeError('GeneRegex: pattern must be a string');
      if (typeof flags !== 'string' || !/^[imsx]*$/.test(flags)) throw new TypeError('GeneRegex: flags must be made of i, m, s and x, got ' + JSON.stringify(flags));
      this.pattern = pattern;
      this.flags = flags;
    }
    toString() { return '#"' + this.pattern + '"' + this.flags; }
  }

  class GeneDate {
    constructor(year, month, day) {
      this.year = year; this.month = month; this.day = day;
    }
  }

  // offset is minutes east of UTC, or null when none was written; zone is
  // an IANA zone name or null.
  class GeneTime {
    constructor(hour, minute, second = 0, micro = 0, offset = null, zone = null) {
      this.hour = hour; this.minute = minute; this.second = second; this.micro = micro;
      this.offset = offset; this.zone = zone;
    }
  }

  class GeneDateTime {
    constructor(year, month, day, hour = 0, minute = 0, second = 0, micro = 0, offset = null, zone = null) {
      this.year = year; this.month = month; this.day = day;
      this.hour = hour; this.minute = minute; this.second = second; this.micro = micro;
      this.offset = offset; this.zone = zone;
    }
    // fromDate returns the instant d in UTC (offset 0), to the millisecond.
    static fromDate(d) {
      return new GeneDateTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(),
        d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds() * 1000, 0, null);
    }
    // toDate returns the instant as a Date (to the millisecond), reading a
    // missing offset as UTC.
    toDate() {
      const ms = Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second, Math.floor(this.micro / 1000));
      return new Date(ms - (this.offset ?? 0) * 60000);
    }
  }

  // HostError is thrown by host calls; code says why: "no-credit",
  // "link-closed", "direction", "not-granted", "timeout", "not-integer"
  // (kv.incr), "not-delivered" (streams.ack), "bad-name" (a stream,
  // group or topic name), "host".
  class HostError extends Error {
    constructor(code, message) {
      super(message);
      this.name = 'HostError';
      this.code = code;
    }
  }
  class NoCreditError extends HostError {
    constructor(message) {
      super('no-credit', message);
      this.name = 'NoCreditError';
    }
  }

  class Link {
    send(value) { return native.send(this.id, value); }
    async sendAsync(value) { native.sendWait(this.id, value); }
    close(reason = '') { native.closeLink(this.id, String(reason)); }
    resume() { native.resume(this.id); }
  }

  const gene = Object.freeze({
    Gene, Sym, Char, Float, GeneRegex, GeneDate, GeneTime, GeneDateTime, NO_HEAD,
    sym: (name) => new Sym(name),
    char: (c) => new Char(c),
    float: (n) => new Float(n),
    regex: (pattern, flags) => new GeneRegex(pattern, flags),
    // node builds (head ...body); a string head becomes a symbol.
    node: (head, ...body) => new Gene(typeof head === 'string' ? new Sym(head) : head, {}, body),
    // is reports whether v is a node whose head is the symbol name.
    is: (v, name) => v instanceof Gene && v.head instanceof Sym && v.head.name === name,
    equal: (a, b) => native.equal(a, b),
  });

  const linkID = (link) => (link instanceof Link ? link.id : link);

  const timers = new Map(); // host timer id -> [callback, args], for setTimeout
  const hostTimers = new Set(); // host timer ids from genehost.setTimer, for timer(id)
  const watches = new Map(); // host watch id -> callback, from genehost.kv.watch

  const genehost = Object.freeze({
    PAUSE: 'pause',
    HostError, NoCreditError,
    kv: Object.freeze({
      get: (key) => native.kvGet(key),
      put: (key, value) => native.kvPut(key, value),
      delete: (key) => native.kvDelete(key),
      scan: (opts) => native.kvScan(opts ?? {}),
      batch: (ops) => native.kvBatch(ops),
      cas: (key, expected, next) => native.kvCAS(key, expected, next),
      incr: (key, by = 1) => native.kvIncr(key, by),
      // watch calls callback(changes, lost) with the changes of keys
      // starting with prefix, made from now on by anyone (ABI.md,
      // gh_kv_watch); it returns the watch's id for unwatch.
      watch(prefix, callback) {
        if (typeof callback !== 'function') throw new TypeError('genehost.kv.watch: callback must be a function');
        const id = native.kvWatch(prefix);
        watches.set(id, callback);
        return id;
      },
      unwatch(id) { if (watches.delete(id)) native.kvUnwatch(id); },
    }),
    // streams and topics: see ABI.md, "Streams". A link argument is a Link
    // or its id.
    streams: Object.freeze({
      publish: (stream, value) => native.streamPublish(stream, value),
      publishBatch: (entries) => native.streamPublishBatch(entries),
      attach: (link, stream, group, opts) => native.streamAttach(linkID(link), stream, group, opts ?? {}),
      detach: (link, stream, group) => native.streamDetach(linkID(link), stream, group),
      ack: (stream, group, seq) => native.streamAck(stream, group, seq),
      reset: (stream, group, seq) => native.streamReset(stream, group, seq),
      trim: (stream, through) => native.streamTrim(stream, through),
      info: () => native.streamInfo(),
    }),
    topics: Object.freeze({
      publish: (topic, value) => native.topicPublish(topic, value),
      subscribe: (link, topic) => native.topicSubscribe(linkID(link), topic),
      unsubscribe: (link, topic) => native.topicUnsubscribe(linkID(link), topic),
    }),
    // error builds the standard error reply (error ^code C ^message M ^id X)
    // for answering one bad request; ^id is left out when id is undefined.
    error(code, message, id) {
      if (typeof code !== 'string') throw new TypeError('genehost.error: code must be a string, got ' + typeof code);
      if (typeof message !== 'string') throw new TypeError('genehost.error: message must be a string, got ' + typeof message);
      const props = { code, message };
      if (id !== undefined) props.id = id;
      return new Gene(new Sym('error'), props);
    },
    setTimer(ms) { const id = native.setTimer(ms); hostTimers.add(id); return id; },
    cancelTimer(id) { if (hostTimers.delete(id)) native.cancelTimer(id); },
  });

  function setTimeout(callback, ms = 0, ...args) {
    if (typeof callback !== 'function') throw new TypeError('setTimeout: callback must be a function');
    const id = native.setTimer(ms);
    timers.set(id, [callback, args]);
    return id;
  }
  function clearTimeout(id) {
    if (timers.delete(id)) native.cancelTimer(id);
  }

  for (const [k, v] of Object.entries({ gene, genehost, Gene, Sym, Char, Float, GeneRegex, GeneDate, GeneTime, GeneDateTime, setTimeout, clearTimeout })) {
    Object.defineProperty(global, k, { value: v, writable: false, enumerable: false, configurable: false });
  }

  return {
    NO_HEAD, Sym, Char, Float, Gene, GeneRegex, GeneDate, GeneTime, GeneDateTime, HostError, NoCreditError, Link,
    // takeTimer forgets timer id and returns [callback, args] for a
    // setTimeout timer, true for a genehost.setTimer timer, or undefined
    // for one that was cancelled (a host may fire it in a race).
    takeTimer(id) {
      const t = timers.get(id);
      if (t) { timers.delete(id); return t; }
      return hostTimers.delete(id) || undefined;
    },
    // watchFor returns the callback of watch id, or undefined.
    watchFor: (id) => watches.get(id),
    freeze: Object.freeze,
    isFrozen: Object.isFrozen,
  };
})
