// echo: sends every value back on the link it came from, unchanged and in
// order (meta, immutable marks and all).
//
// One instance serves one link (^instances "per-link"), so waiting for the
// client's credit here holds back only that client. While the client has
// room, link.send sends at once and the callback stays synchronous (no
// promise per value); once it runs out, the rest of the batch goes through
// sendAsync, which blocks until the client has room while the values behind
// it wait in the client's own window. A client that reads nothing for longer
// than the call timeout has its link reset.
module.exports = {
  values(link, values) {
    for (let i = 0; i < values.length; i++) {
      try {
        link.send(values[i]);
      } catch (e) {
        if (!(e instanceof genehost.NoCreditError)) throw e;
        return sendRest(link, values, i);
      }
    }
  },
};

// sendRest sends values[i:], waiting for credit for each.
async function sendRest(link, values, i) {
  for (; i < values.length; i++) {
    await link.sendAsync(values[i]);
  }
}
