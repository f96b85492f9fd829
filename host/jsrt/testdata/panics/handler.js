// panics: a programming error, the JavaScript analogue of a Go panic.
module.exports = {
  values(link, values) {
    const missing = undefined;
    return missing.field;
  },
  control: {
    ping: () => gene.sym('pong'),
  },
};
