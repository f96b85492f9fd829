// feed: pushes (tick ^n 1) .. (tick ^n 3) on every link, then ends it.
module.exports = {
  async open(link) {
    for (let n = 1; n <= 3; n++) {
      await link.sendAsync(new Gene(gene.sym('tick'), { n: n }, [], {}));
    }
    link.close();
  },
};
