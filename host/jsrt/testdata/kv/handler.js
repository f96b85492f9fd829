// kv: (set ^key K ^value V) stores V under K; (get ^key K) answers
// (value V) or (missing).
module.exports = {
  value(link, v) {
    if (gene.is(v, 'set')) {
      genehost.kv.put(v.props.key, v.props.value);
      link.send(gene.node('ok'));
    } else if (gene.is(v, 'get')) {
      const found = genehost.kv.get(v.props.key);
      link.send(found === undefined ? gene.node('missing') : gene.node('value', found));
    } else {
      throw new Error('kv: expected (set ...) or (get ...)');
    }
  },
};
