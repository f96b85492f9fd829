// @ts-check
/// <reference path="../../genehost.d.ts" />
// echo: sends every value back on the link it came from, unchanged, and
// answers the control operation hello (declare it in plugin.gene: ^control
// {^hello {^result symbol}}; ping is the host's own) with the symbol hi.

/** @type {genehost.Handler} */
module.exports = {
  values(link, values) {
    for (const v of values) link.send(v);
  },
  control: {
    hello: () => gene.sym('hi'),
  },
};
