// counter: counts the values this instance has seen, in instance memory.
let count = 0;

module.exports = {
  value(link, v) {
    count++;
    link.send(gene.node('count', count));
  },
};
