// @ts-check
/// <reference path="../../../sdk/js/genehost.d.ts" />
// counter-js: counts the values of each link, and of all links durably.
//
//   (add ^n 5 ^id 1)   -> (count ^link 5 ^total 42 ^id 1)
//   (get)              -> (count ^link 5 ^total 42)
//
// Control operations: total -> the total; reset N -> sets the total to N,
// returns the one it replaced. plugin.gene declares all of this with
// schemas, and asks the host to validate what clients send (^validate
// true), so a request reaching values() has the shape declared there.
//
// One instance serves every link (^instances "pool" ^pool 1): the total
// is read, incremented and written back, which is only safe when no other
// instance does the same at once. Per-link counts live in memory, in a Map
// keyed by link id; the total lives in the store (the kv grant), so it
// survives restarts and reloads.
'use strict';

const TOTAL = 'total';

/** This instance's links and their counts. @type {Map<number, number>} */
const counts = new Map();

/** The total in the store (0 before the first add). */
function total() {
  const t = genehost.kv.get(TOTAL);
  return typeof t === 'number' ? t : 0;
}

/** @type {genehost.Handler} */
module.exports = {
  open(link) {
    counts.set(link.id, 0);
  },

  async values(link, values) {
    for (const v of values) {
      const req = /** @type {Gene} */ (v); // validated: (add ...) or (get ...)
      let mine = counts.get(link.id) ?? 0;
      let all = total();
      if (gene.is(req, 'add')) {
        const n = typeof req.props.n === 'number' ? req.props.n : 1;
        mine += n;
        all += n;
        counts.set(link.id, mine);
        genehost.kv.put(TOTAL, all);
      }
      /** @type {GeneProps} */
      const reply = { link: mine, total: all };
      if (req.props.id !== undefined) reply.id = req.props.id;
      // sendAsync waits for the client's credit. The instance is shared,
      // so a client that stops reading holds up the others until the call
      // timeout resets its link; request/response clients always read.
      await link.sendAsync(new Gene(gene.sym('count'), reply));
    }
  },

  close(link) {
    counts.delete(link.id);
  },

  control: {
    total: () => total(),
    reset(arg) {
      const was = total();
      genehost.kv.put(TOTAL, /** @type {number} */ (arg));
      return was;
    },
  },
};
