// {{NAME}}: replies to every value with the value it received.
//
// values() gets the values of one link, in order; link.sendAsync waits
// until the client has room for the reply. See sdk/js/README.md of genehost
// for the whole API (open, close, control, timers, the kv store).
module.exports = {
  async values(link, values) {
    for (const v of values) {
      await link.sendAsync(v);
    }
  },
};
