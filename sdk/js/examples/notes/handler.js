// @ts-check
/// <reference path="../../genehost.d.ts" />
// notes: a small key-value service on the durable store, one request per
// value, answered on the same link.
//
//   (put ^key "k" ^value V)   stores V              -> (ok ^key "k")
//   (get ^key "k")            reads it              -> (value ^key "k" V) or (missing ^key "k")
//   (list ^prefix "p")        keys starting with p  -> (keys ["k" ...])
//   (delete ^key "k")         removes it            -> (deleted ^key "k" ^found true)
//   (later ^ms 10 V)          V back after 10 ms    -> (later V)
//   (hold ^ms 10)             pauses the link for 10 ms, then (resumed)
//
// Control operations: stats -> {^links N ^requests N}; clear "prefix"
// deletes the keys under prefix and returns how many. Needs the kv and
// timers grants.

/** Open links by id, with what each has asked. @type {Map<number, {link: genehost.Link, requests: number}>} */
const open = new Map();
let requests = 0;

/** Links paused by (hold), by the host timer that resumes them. @type {Map<number, genehost.Link>} */
const held = new Map();

/**
 * The string prop name of request v, or a TypeError naming it.
 * @param {Gene} v
 * @param {string} name
 * @returns {string}
 */
function stringProp(v, name) {
  const s = v.props[name];
  if (typeof s !== 'string') throw new TypeError(`${String(v.head)}: ^${name} must be a string, got ${typeof s}`);
  return s;
}

/**
 * Answers one request; returns "pause" to hold the link.
 * @param {genehost.Link} link
 * @param {GeneValue} v
 * @returns {Promise<genehost.Flow>}
 */
async function handle(link, v) {
  if (!(v instanceof Gene) || !(v.head instanceof Sym)) {
    await link.sendAsync(gene.node('error', 'a request is a node such as (get ^key "k")'));
    return;
  }
  switch (v.head.name) {
    case 'put': {
      const key = stringProp(v, 'key');
      genehost.kv.put(key, v.props.value);
      await link.sendAsync(new Gene(gene.sym('ok'), { key }));
      return;
    }
    case 'get': {
      const key = stringProp(v, 'key');
      const found = genehost.kv.get(key);
      const reply = found === undefined ? new Gene(gene.sym('missing'), { key }) : new Gene(gene.sym('value'), { key }, [found]);
      await link.sendAsync(reply);
      return;
    }
    case 'list': {
      const prefix = stringProp(v, 'prefix');
      const keys = genehost.kv.scan({ prefix }).map(([k]) => k);
      await link.sendAsync(gene.node('keys', keys));
      return;
    }
    case 'delete': {
      const key = stringProp(v, 'key');
      await link.sendAsync(new Gene(gene.sym('deleted'), { key, found: genehost.kv.delete(key) }));
      return;
    }
    case 'later': {
      const ms = Number(v.props.ms ?? 0);
      setTimeout((/** @type {GeneValue} */ x) => link.send(gene.node('later', x)), ms, v.body[0]);
      return;
    }
    case 'hold': {
      held.set(genehost.setTimer(Number(v.props.ms ?? 0)), link);
      return genehost.PAUSE;
    }
  }
  await link.sendAsync(gene.node('error', `unknown request ${v.head.name}`));
}

/** @type {genehost.Handler} */
module.exports = {
  open(link) {
    open.set(link.id, { link, requests: 0 });
    console.log('open', link.id, link.interface, link.direction);
  },

  async values(link, values) {
    const state = open.get(link.id);
    /** @type {genehost.Flow} */
    let flow;
    for (const v of values) {
      requests++;
      if (state) state.requests++;
      try {
        if ((await handle(link, v)) === genehost.PAUSE) flow = genehost.PAUSE;
      } catch (e) {
        if (!(e instanceof TypeError)) throw e; // a host error fails the callback
        link.send(gene.node('error', e.message));
      }
    }
    return flow;
  },

  timer(id) {
    const link = held.get(id);
    held.delete(id);
    if (!link) return;
    link.resume();
    link.send(gene.node('resumed'));
  },

  close(link, reason) {
    open.delete(link.id);
    console.log('close', link.id, reason || 'orderly');
  },

  control: {
    stats: () => ({ links: open.size, requests }),
    clear(arg) {
      if (typeof arg !== 'string') throw new TypeError('clear wants a prefix string');
      const keys = genehost.kv.scan({ prefix: arg }).map(([k]) => k);
      for (const k of keys) genehost.kv.delete(k);
      return keys.length;
    },
  },
};
