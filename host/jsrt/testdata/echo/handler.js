// echo: sends every value back on the link it came from, unchanged.
module.exports = {
  values(link, values) {
    values.forEach((v) => link.send(v));
  },
  control: {
    ping: () => gene.sym('pong'),
  },
};
