// streams: the streams fixture of the behaviour suite
// (plugintest.RunStreamsPluginSuite): each request calls genehost.streams
// or genehost.topics and answers on its link.
'use strict';

const node = (head, ...body) => gene.node(head, ...body);

function serve(link, v) {
  const p = v.props;
  switch (v.head.name) {
    case 'publish':
      return node('published', genehost.streams.publish(p.stream, p.value));
    case 'publish-batch':
      return node('published', ...genehost.streams.publishBatch(p.entries.map((e) => [e.stream, e.value])));
    case 'attach':
      return node('attached', genehost.streams.attach(link, p.stream, p.group, { prefetch: p.prefetch, ackTimeoutMs: p['ack-timeout-ms'] }));
    case 'detach':
      return node('detached', genehost.streams.detach(link, p.stream, p.group));
    case 'ack':
      genehost.streams.ack(p.stream, p.group, p.seq);
      return node('acked', p.seq);
    case 'info':
      return node('info', genehost.streams.info());
    case 'broadcast':
      return node('sent', genehost.topics.publish(p.topic, p.value));
    case 'listen':
      genehost.topics.subscribe(link, p.topic);
      return node('listening');
  }
  throw new Error('unknown request ' + v.head.name);
}

module.exports = {
  values(link, values) {
    for (const v of values) {
      let out;
      try {
        out = serve(link, v);
      } catch (e) {
        if (!(e instanceof genehost.HostError)) throw e;
        out = node('error', e.code, e.message);
      }
      link.send(out);
    }
  },
};
