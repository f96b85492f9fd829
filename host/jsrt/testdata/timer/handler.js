// timer: each value sets a 10ms timer that sends (tick ID) on the last
// link a value arrived on.
let last = null;

module.exports = {
  values(link, values) {
    last = link;
    try {
      const id = setTimeout(() => last.send(gene.node('tick', id)), 10);
    } catch (e) {
      link.send(gene.node('error', e.message));
    }
  },
};
