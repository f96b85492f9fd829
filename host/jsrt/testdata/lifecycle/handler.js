// lifecycle: logs opens and closes; (info) describes the link.
module.exports = {
  open(link) {
    console.log(`open ${link.id}`);
  },
  value(link, v) {
    if (gene.is(v, 'info')) {
      link.send(new Gene(gene.sym('link'), { interface: link.interface, direction: link.direction }));
    }
  },
  close(link, reason) {
    console.log(`close ${link.id} ${reason}`);
  },
};
