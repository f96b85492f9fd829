// kvatomic: the atomic store operations (plugintest suite, "kvatomic").
//   (put ^key K ^value V)              -> (ok)
//   (get ^key K)                       -> (value V) or (missing)
//   (cas ^key K [^expect E] [^value W]) -> (cas true|false); an absent prop is "absent"
//   (incr ^key K [^by N])              -> (n NEW)
//   (cas-add ^key K)                   -> (n NEW): read, add 1, cas, until it applies
// A failed store call is answered with (error MESSAGE).
function serve(v) {
  const p = v.props;
  switch (v.head.name) {
    case 'put':
      genehost.kv.put(p.key, p.value);
      return gene.node('ok');
    case 'get': {
      const found = genehost.kv.get(p.key);
      return found === undefined ? gene.node('missing') : gene.node('value', found);
    }
    case 'cas':
      return gene.node('cas', genehost.kv.cas(p.key, 'expect' in p ? p.expect : undefined, 'value' in p ? p.value : undefined));
    case 'incr':
      return gene.node('n', 'by' in p ? genehost.kv.incr(p.key, p.by) : genehost.kv.incr(p.key));
    case 'cas-add':
      for (;;) {
        const cur = genehost.kv.get(p.key);
        const next = (cur ?? 0) + 1;
        if (genehost.kv.cas(p.key, cur, next)) return gene.node('n', next);
      }
  }
  throw new Error('kvatomic: unknown request ' + v.head.name);
}

module.exports = {
  value(link, v) {
    let out;
    try {
      out = serve(v);
    } catch (e) {
      if (!(e instanceof genehost.HostError)) throw e;
      out = gene.node('error', e.message);
    }
    link.send(out);
  },
};
