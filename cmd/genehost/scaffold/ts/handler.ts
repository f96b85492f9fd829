// {{NAME}}: replies to every value with the value it received.
//
// genehost bundles this file (and what it imports: other .ts files, packages
// of this folder's node_modules) when it loads the plugin, and again when a
// file changes. genehost.d.ts declares the API (see the JavaScript guide,
// sdk/js/README.md of genehost); tsc --noEmit checks the folder.

const handler: genehost.Handler = {
  async values(link, values) {
    for (const v of values) {
      await link.sendAsync(v);
    }
  },
};

export default handler;
