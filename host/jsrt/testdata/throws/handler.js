// throws: every value makes values() throw.
module.exports = {
  values(link, values) {
    throw new Error('boom');
  },
  control: {
    ping: () => gene.sym('pong'),
  },
};
