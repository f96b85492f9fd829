// web: the example HTTP handler behind genehost's HTTP gateway. The
// gateway turns each HTTP request into (request ^id N ^method M ^path P
// ...) on a link to this interface and turns the (response ^id N ^status S
// ^headers H ^body B) sent back into the HTTP response (the values are
// specified in plugins/README.md, "HTTP gateway values").
//
// It serves a small notes board: an HTML page listing the notes with a
// form to add one, a JSON (or Gene) API over the same notes, and an echo
// endpoint that shows a request as the handler received it. Notes are kept
// with the kv grant, so they survive restarts and reloads.
'use strict';

const kv = genehost.kv;
const MAX_NOTES = 500;
const MAX_NOTE_CHARS = 1000;

// --- responses ---

function respond(status, headers, body) {
  return { status, headers, body };
}

function html(status, body) {
  return respond(status, { 'content-type': 'text/html; charset=utf-8' }, body);
}

function text(status, body) {
  return respond(status, { 'content-type': 'text/plain; charset=utf-8' }, body + '\n');
}

// data answers with v as JSON, or as Gene text when the client asks for it
// (?format=gene, or an Accept header naming application/gene).
function data(req, status, v, extra = {}) {
  const accept = req.headers.accept ?? '';
  if (req.query.format === 'gene' || (req.query.format === undefined && accept.includes('application/gene'))) {
    return respond(status, { 'content-type': 'application/gene', ...extra }, formatGene(v) + '\n');
  }
  return respond(status, { 'content-type': 'application/json', ...extra }, JSON.stringify(v) + '\n');
}

function notAllowed(allow) {
  return respond(405, { 'content-type': 'text/plain; charset=utf-8', allow }, `method not allowed; use ${allow}\n`);
}

// --- notes ---

const noteKey = (id) => `note/${String(id).padStart(12, '0')}`;

function notes() {
  return kv.scan({ prefix: 'note/' }).map(([, n]) => n);
}

function addNote(body) {
  const t = typeof body === 'string' ? body.trim() : '';
  if (t === '') return { error: 'a note needs some text' };
  if ([...t].length > MAX_NOTE_CHARS) return { error: `a note holds at most ${MAX_NOTE_CHARS} characters` };
  if (notes().length >= MAX_NOTES) return { error: `the board is full (${MAX_NOTES} notes); delete some` };
  const id = (kv.get('next-id') ?? 1);
  kv.put('next-id', id + 1);
  const note = { id, text: t };
  kv.put(noteKey(id), note);
  return { note };
}

// --- pages ---

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(error) {
  const items = notes().map((n) => `<li>${escape(n.text)} <small>#${n.id}</small></li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>genehost notes</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}
small{color:#888}.error{color:#b00}textarea{width:100%}</style></head>
<body>
<h1>Notes</h1>
<p>Served by the <code>web</code> plugin, a JavaScript handler running inside genehost, through its
HTTP gateway. Every request reached the handler as a Gene value <code>(request ...)</code>, and this
page went back as <code>(response ...)</code>. The notes live in genehost's database.</p>
${error ? `<p class="error">${escape(error)}</p>` : ''}
<ul>
${items || '<li><em>No notes yet.</em></li>'}
</ul>
<form method="post" action="/notes">
<textarea name="text" rows="3" maxlength="${MAX_NOTE_CHARS}" placeholder="Write a note"></textarea>
<button>Add</button>
</form>
<p>API: <a href="/api/notes">/api/notes</a> (JSON; <a href="/api/notes?format=gene">Gene</a>),
<a href="/api/echo?hello=world">/api/echo</a> (your request as the handler saw it).</p>
</body>
</html>
`;
}

// parseForm decodes an application/x-www-form-urlencoded body.
function parseForm(body) {
  const out = {};
  for (const part of String(body).split('&')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    const k = dec(i < 0 ? part : part.slice(0, i));
    out[k] = i < 0 ? '' : dec(part.slice(i + 1));
  }
  return out;
}

// --- routes ---

function route(req) {
  const { method, path } = req;
  if (path === '/') {
    if (method !== 'GET' && method !== 'HEAD') return notAllowed('GET, HEAD');
    return html(200, page());
  }
  if (path === '/notes') {
    if (method !== 'POST') return notAllowed('POST');
    let form;
    try {
      form = parseForm(req.body);
    } catch (e) {
      return html(400, page('the form could not be read: ' + e.message));
    }
    const r = addNote(form.text);
    if (r.error) return html(400, page(r.error));
    return respond(303, { location: '/', 'content-type': 'text/plain; charset=utf-8' }, 'added; see /\n');
  }
  if (path === '/api/notes') {
    if (method === 'GET' || method === 'HEAD') return data(req, 200, notes());
    if (method !== 'POST') return notAllowed('GET, HEAD, POST');
    let t = req.body;
    if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        t = JSON.parse(req.body).text;
      } catch (e) {
        return data(req, 400, { error: 'the body is not JSON: ' + e.message });
      }
    }
    const r = addNote(t);
    if (r.error) return data(req, 400, { error: r.error });
    return data(req, 201, r.note, { location: `/api/notes/${r.note.id}` });
  }
  const m = /^\/api\/notes\/([0-9]{1,12})$/.exec(path);
  if (m) {
    const key = noteKey(Number(m[1]));
    if (method === 'GET' || method === 'HEAD') {
      const n = kv.get(key);
      return n === undefined ? data(req, 404, { error: `no note ${m[1]}` }) : data(req, 200, n);
    }
    if (method !== 'DELETE') return notAllowed('GET, HEAD, DELETE');
    return kv.delete(key) ? respond(204, {}, '') : data(req, 404, { error: `no note ${m[1]}` });
  }
  if (path === '/api/echo') {
    const { method: _m, ...rest } = req;
    return data(req, 200, { method, ...rest });
  }
  return text(404, `no page at ${path}`);
}

// formatGene writes the JSON-like values this handler builds (null,
// booleans, numbers, strings, arrays, plain objects) as Gene text.
function formatGene(v) {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
    const s = String(v);
    return /[.e]/.test(s) ? s : s + '.0';
  }
  if (typeof v === 'string') {
    return '"' + v.replace(/[\\"\n\t\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c]) + '"';
  }
  if (Array.isArray(v)) return '[' + v.map(formatGene).join(' ') + ']';
  return '{' + Object.entries(v).map(([k, x]) => `^${k} ${formatGene(x)}`).join(' ') + '}';
}

// request normalises a (request ...) value: the props the gateway always
// sends, with defaults for the ones a hand-written request leaves out.
function request(v) {
  const p = v.props;
  return {
    id: p.id,
    method: String(p.method ?? 'GET').toUpperCase(),
    path: String(p.path ?? '/'),
    query: p.query ?? {},
    'raw-query': p['raw-query'] ?? '',
    headers: p.headers ?? {},
    body: typeof p.body === 'string' ? p.body : '',
    host: p.host ?? '',
    remote: p.remote ?? '',
  };
}

// The instance is shared by every link (^instances "pool" ^pool 1, so
// note ids come from one counter). A response waits for the link's credit
// (sendAsync); the gateway reads responses as they come, so it does not
// wait long.
module.exports = {
  async value(link, v) {
    if (!gene.is(v, 'request') || !Number.isInteger(v.props.id)) {
      throw new Error('web: want (request ^id N ^method M ^path P ...), as the HTTP gateway sends');
    }
    const req = request(v);
    let res;
    try {
      res = route(req);
    } catch (e) {
      console.error(`web: ${req.method} ${req.path}: ${e.stack ?? e}`);
      res = text(500, 'internal error');
    }
    if (req.method === 'HEAD') res.body = '';
    await link.sendAsync(new Gene(gene.sym('response'), { id: req.id, status: res.status, headers: res.headers, body: res.body }, []));
  },
};
