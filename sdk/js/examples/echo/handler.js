// @ts-check
/// <reference path="../../genehost.d.ts" />
// echo: sends every value back on the link it came from, unchanged, and
// answers the control operation ping with the symbol pong.

/** @type {genehost.Handler} */
module.exports = {
  values(link, values) {
    for (const v of values) link.send(v);
  },
  control: {
    ping: () => gene.sym('pong'),
  },
};
