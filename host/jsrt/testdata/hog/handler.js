// hog: values() allocates without bound; the call deadline stops it.
module.exports = {
  values(link, values) {
    const keep = [];
    for (;;) {
      keep.push(new Array(1024).fill(keep.length));
    }
  },
  control: {
    ping: () => gene.sym('pong'),
  },
};
