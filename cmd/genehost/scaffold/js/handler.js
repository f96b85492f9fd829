// @ts-check
/// <reference path="./genehost.d.ts" />
// {{NAME}}: replies to every value with the value it received.
//
// values() gets the values of one link, in order; link.sendAsync waits
// until the client has room for the reply. genehost.d.ts declares the API
// (the JavaScript guide is sdk/js/README.md of genehost): open, close,
// control, timers, the kv store.

/** @type {genehost.Handler} */
module.exports = {
  async values(link, values) {
    for (const v of values) {
      await link.sendAsync(v);
    }
  },
};
