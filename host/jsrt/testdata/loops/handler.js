// loops: values() never returns; the call deadline interrupts it.
module.exports = {
  values(link, values) {
    for (;;) {}
  },
  control: {
    ping: () => gene.sym('pong'),
  },
};
