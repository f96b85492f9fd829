// echo: sends every value back on the link it came from, unchanged and in
// order (meta, immutable marks and all).
//
// One instance serves one link (^instances "per-link"), so waiting for the
// client's credit here holds back only that client: sendAsync blocks until
// the client has room, and the values behind it wait in the client's own
// window. A client that reads nothing for longer than the call timeout has
// its link reset.
module.exports = {
  async values(link, values) {
    for (const v of values) {
      await link.sendAsync(v);
    }
  },
};
