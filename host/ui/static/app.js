// The genehost explorer: plain JavaScript, no dependencies. It renders the
// JSON API of package host/ui (see doc.go there) and drives the try-it
// console over a WebSocket.
'use strict';

const app = document.getElementById('app');
const crumbs = document.getElementById('crumbs');
let pageStop = []; // what the current page must stop (timers, sockets) when left

// el builds an element: el('a', {href: '#'}, 'text', child...).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const tokenKey = (iface) => 'genehost-token:' + iface;
const getToken = (iface) => sessionStorage.getItem(tokenKey(iface)) || '';
function setToken(iface, t) {
  if (t) sessionStorage.setItem(tokenKey(iface), t);
  else sessionStorage.removeItem(tokenKey(iface));
}

// api fetches a route of the explorer's API with the interface's token;
// it throws {status, code, error} on failure.
async function api(path, iface, init) {
  init = init || {};
  const headers = Object.assign({}, init.headers || {});
  const t = getToken(iface || '$sys');
  if (t) headers['X-Genehost-Token'] = t;
  const res = await fetch(path, Object.assign({}, init, { headers }));
  let body;
  try { body = await res.json(); } catch (e) { body = { error: 'the explorer answered ' + res.status + ' without JSON' }; }
  if (!res.ok) throw Object.assign({ status: res.status }, body);
  return body;
}

const enc = encodeURIComponent;
function badge(text, cls) { return el('span', { class: 'badge ' + (cls || text) }, text); }
function errorBox(err) {
  return el('div', { class: 'error-box' }, (err.code ? err.code + ': ' : '') + (err.error || err.message || String(err)));
}
function pad(n, w) { return String(n).padStart(w || 2, '0'); }
function clock(ms) {
  const d = new Date(ms);
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}
function firstLine(s) { return (s || '').replace(/\s+/g, ' ').split(/\.\s/)[0]; }

// tokenForm asks for the token of iface and reloads the page once given.
function tokenForm(iface, message) {
  const input = el('input', { id: 'token', type: 'password', placeholder: 'token', autocomplete: 'off', size: 32 });
  const save = () => { setToken(iface, input.value.trim()); route(); };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') save(); });
  return el('div', { class: 'card', id: 'token-form' },
    el('p', {}, message || ('Interface ' + iface + ' needs a token. It is sent as ^token in the open metadata of every link this page opens, and kept in this tab only.')),
    el('div', { class: 'row' }, input, el('button', { id: 'token-save', onclick: save }, 'Use token'),
      getToken(iface) ? el('button', { class: 'ghost', onclick: () => { setToken(iface, ''); route(); } }, 'Forget token') : null));
}

// ---- the list of interfaces ----

async function showList() {
  crumbs.replaceChildren();
  document.title = 'genehost explorer';
  let list;
  try {
    list = await api('/api/interfaces', '$sys');
  } catch (err) {
    app.replaceChildren(el('h1', {}, 'Interfaces'), errorBox(err));
    return;
  }
  const rows = list.map((i) => el('tr', { dataset: { iface: i.name } },
    el('td', {}, el('a', { href: '#/iface/' + enc(i.name), class: 'iface-link' }, el('strong', {}, i.name))),
    el('td', { class: 'version mono' }, i.version || '-'),
    el('td', {}, badge(i.direction, 'dir')),
    el('td', { class: 'health' }, badge(i.health), i.reason ? el('div', { class: 'muted reason' }, i.reason) : null),
    el('td', { class: 'desc' }, firstLine(i.description))));
  app.replaceChildren(
    el('h1', {}, 'Interfaces'),
    el('p', { class: 'muted' }, list.length + ' interface' + (list.length === 1 ? '' : 's') + ' on this host. Pick one to read its manifest, try it and watch it.'),
    el('table', { id: 'ifaces' },
      el('thead', {}, el('tr', {}, el('th', {}, 'name'), el('th', {}, 'version'), el('th', {}, 'direction'), el('th', {}, 'health'), el('th', {}, 'description'))),
      el('tbody', {}, rows)),
    el('details', { class: 'card' }, el('summary', {}, 'Token for the list'),
      el('p', { class: 'muted' }, 'The host lists only the interfaces a client may open; with a token it lists those the token opens too.'),
      tokenForm('$sys', 'Token sent when listing interfaces:')),
  );
}

// ---- one interface ----

async function showIface(name) {
  crumbs.replaceChildren(el('a', { href: '#/' }, 'interfaces'), ' / ', el('span', {}, name));
  document.title = name + ' - genehost explorer';
  let view;
  try {
    view = await api('/api/iface/' + enc(name), name);
  } catch (err) {
    const parts = [el('h1', {}, name), errorBox(err)];
    if (err.code === 'UNAUTHORIZED') parts.push(tokenForm(name));
    app.replaceChildren(...parts);
    return;
  }
  const byName = Object.fromEntries(view.messages.map((m) => [m.name, m]));
  const health = el('span', { id: 'health' });
  const console_ = tryConsole(view);
  const sections = [
    el('div', { class: 'msg-head' }, el('h1', { id: 'iface-name', dataset: { iface: view.name } }, view.name), el('span', { class: 'mono muted' }, view.version),
      badge(view.direction, 'dir'), health),
    el('p', { class: 'muted' }, 'Data links carry ' + view.flows + '.' + (view.validate ? ' The host checks every value a client sends against the client messages (^validate).' : '')),
    view.description ? el('p', { id: 'description' }, view.description) : null,
    el('div', { class: 'row' },
      download('dl-gene', '/api/iface/' + enc(name) + '/manifest.gene', name + '.manifest.gene', 'Gene manifest', name),
      download('dl-asyncapi', '/api/iface/' + enc(name) + '/asyncapi.json', name + '.asyncapi.json', 'AsyncAPI 3 document', name),
      getToken(name) ? el('span', { class: 'muted' }, 'using a token') : null),
  ];
  if (view.requests.length) {
    sections.push(el('h2', {}, 'Requests and replies'),
      el('table', { class: 'pairs', id: 'pairs' },
        el('thead', {}, el('tr', {}, el('th', {}, 'request'), el('th', {}, 'answered with'))),
        el('tbody', {}, view.requests.map((r) => el('tr', { dataset: { request: r.request } },
          el('td', {}, el('a', { href: '#msg-' + r.request, onclick: jump }, r.request)),
          el('td', {}, r.replies.map((x, i) => [i ? ', ' : '', el('a', { href: '#msg-' + x, onclick: jump }, x)])))))));
  }
  sections.push(el('h2', {}, 'Messages'), el('div', { id: 'messages' }, view.messages.map((m, i) => messageCard(m, console_, i === 0))));
  if (view.defs.length) {
    sections.push(el('h2', {}, 'Definitions'), el('div', { id: 'defs' }, view.defs.map((d) => el('div', { class: 'card', dataset: { def: d.name } },
      el('h3', {}, el('span', { class: 'mono' }, d.name)), d.doc ? el('div', { class: 'muted' }, d.doc) : null,
      el('code', { class: 'type' }, d.type)))));
  }
  sections.push(el('h2', {}, 'Control operations'), controlPanel(view));
  sections.push(el('h2', {}, 'Flow'), el('dl', { class: 'kv', id: 'flow' }, view.flow.map((f) => [el('dt', {}, '^' + f.key), el('dd', {}, f.value)])));
  sections.push(el('h2', {}, 'Try it'), console_.node);
  const stats = liveStats(name, health);
  sections.push(el('h2', {}, 'Live stats'), stats.node, el('h2', {}, 'Plugin status'), stats.status);
  sections.push(el('h2', {}, 'Manifest'), el('details', {}, el('summary', {}, 'Gene text as served'), el('pre', { id: 'manifest-gene' }, view.gene)));
  app.replaceChildren(...sections.filter(Boolean));
  pageStop.push(stats.stop, console_.stop);
  void byName;
}

function jump(e) {
  const id = e.currentTarget.getAttribute('href').slice(1);
  const t = document.getElementById(id);
  if (t) { e.preventDefault(); if (t.tagName === 'DETAILS') t.open = true; t.scrollIntoView({ block: 'start' }); }
}

// download is a link to an API route; with a token it fetches the file
// with the token header and saves it.
function download(id, href, filename, text, iface) {
  return el('a', {
    id, href, download: filename, class: 'badge dir',
    onclick: async (e) => {
      if (!getToken(iface)) return;
      e.preventDefault();
      const res = await fetch(href, { headers: { 'X-Genehost-Token': getToken(iface) } });
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: filename });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  }, '\u2193 ' + text);
}

function messageCard(m, console_, open) {
  const rel = [];
  if (m.replies && m.replies.length) rel.push(el('div', { class: 'replies' }, 'answered with ', m.replies.map((x, i) => [i ? ', ' : '', el('a', { href: '#msg-' + x, onclick: jump }, x)]), ' (and the standard error reply)'));
  if (m.repliesTo && m.repliesTo.length) rel.push(el('div', { class: 'replies-to muted' }, 'answers ', m.repliesTo.map((x, i) => [i ? ', ' : '', el('a', { href: '#msg-' + x, onclick: jump }, x)])));
  return el('details', { class: 'card msg ' + m.from, id: 'msg-' + m.name, dataset: { message: m.name }, open },
    el('summary', { class: 'msg-head' }, el('h3', { class: 'mono' }, m.name), badge('from ' + m.from, 'from-' + m.from),
      el('code', { class: 'type', title: m.schema }, m.type)),
    m.doc ? el('div', { class: 'doc' }, m.doc) : null,
    rel,
    el('div', { class: 'muted' }, 'schema: ', el('code', {}, m.schema)),
    m.examples.length ? el('div', { class: 'examples' }, el('div', { class: 'muted' }, 'examples'),
      m.examples.map((x) => el('div', { class: 'example' }, el('pre', { title: x.json }, x.gene),
        m.from === 'client' && console_.canSend ? el('button', { class: 'ghost try', onclick: () => console_.fill(x.gene) }, 'try') : null))) : null);
}

// ---- control operations ----

function controlPanel(view) {
  const name = view.name;
  const ops = view.control.map((o) => ({ name: o.name, doc: o.doc, args: o.args, result: o.result }));
  const std = { manifest: 'the served manifest', ping: 'answers pong', health: 'serving, draining or failed', stats: 'the interface\u2019s counters' };
  for (const s of view.standard) if (std[s]) ops.push({ name: s, doc: std[s], standard: true });
  const table = el('table', { id: 'ops' },
    el('thead', {}, el('tr', {}, el('th', {}, 'operation'), el('th', {}, 'argument'), el('th', {}, 'result'), el('th', {}, ''))),
    el('tbody', {}, ops.map((o) => el('tr', { dataset: { op: o.name } },
      el('td', {}, el('span', { class: 'mono' }, o.name), o.standard ? el('span', { class: 'muted' }, ' (standard)') : null, o.doc ? el('div', { class: 'muted' }, o.doc) : null),
      el('td', { class: 'mono' }, o.args || (o.standard ? 'none' : 'not checked')),
      el('td', { class: 'mono' }, o.result || 'any'),
      el('td', {}, el('button', { class: 'ghost', onclick: () => { sel.value = o.name; arg.focus(); } }, 'use'))))));
  const sel = el('select', { id: 'ctl-op' }, ops.map((o) => el('option', { value: o.name }, o.name)));
  const arg = el('input', { id: 'ctl-arg', placeholder: 'argument (empty: none)', size: 48, class: 'mono' });
  const fmt = el('select', { id: 'ctl-format' }, el('option', { value: 'gene' }, 'Gene'), el('option', { value: 'json' }, 'JSON'));
  const out = el('div', { id: 'ctl-result' });
  const run = async () => {
    out.replaceChildren(el('span', { class: 'muted' }, 'running ' + sel.value + '...'));
    try {
      const r = await api('/api/iface/' + enc(name) + '/control', name, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ op: sel.value, arg: arg.value, format: fmt.value }),
      });
      out.replaceChildren(el('div', { class: 'ok-box' }, sel.value + ' answered in ' + r.ms.toFixed(1) + ' ms'),
        el('pre', { class: 'result' }, fmt.value === 'json' ? JSON.stringify(r.json, null, 2) : r.gene));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  arg.addEventListener('keydown', (e) => { if (e.key === 'Enter') run(); });
  return el('div', {}, table, el('div', { class: 'card' }, el('div', { class: 'row' }, sel, arg, fmt, el('button', { id: 'ctl-run', onclick: run }, 'Run')), out));
}

// ---- the try-it console ----

function tryConsole(view) {
  const name = view.name;
  const canSend = view.direction !== 'send';
  let ws = null;
  let queue = [];
  const log = el('div', { id: 'try-log' });
  const status = el('span', { id: 'try-status', class: 'muted' }, 'not connected');
  const input = el('textarea', { id: 'try-input', placeholder: canSend ? 'a value, e.g. ' + firstExample(view) : 'this interface only sends; connect to receive', disabled: !canSend });
  const fmt = el('select', { id: 'try-format' }, el('option', { value: 'gene' }, 'Gene'), el('option', { value: 'json' }, 'JSON'));
  const show = el('select', { id: 'try-show' }, el('option', { value: 'gene' }, 'show Gene'), el('option', { value: 'json' }, 'show JSON'));
  const add = (m) => {
    const text = m.type === 'error' || m.type === 'closed' ? (m.code ? m.code + ': ' : '') + (m.error || 'the link ended') :
      m.type === 'open' ? 'link ' + m.link + ' open' : show.value === 'json' ? JSON.stringify(m.json) : m.gene;
    const arrow = { sent: '\u2192', recv: '\u2190', open: '\u2022', error: '!', closed: '\u00d7' }[m.type] || m.type;
    log.append(el('div', { class: 'entry ' + m.type }, el('span', { class: 'ts' }, clock(m.at || Date.now())), el('span', { class: 'dirn' }, arrow), el('span', { class: 'val' }, text)));
    log.scrollTop = log.scrollHeight;
  };
  const connect = () => {
    if (ws) return;
    const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(proto + location.host + '/api/iface/' + enc(name) + '/link');
    status.textContent = 'connecting...';
    ws.onopen = () => ws.send(JSON.stringify({ type: 'open', dir: view.direction, token: getToken(name) }));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      add(m);
      if (m.type === 'open') {
        status.textContent = 'connected: link ' + m.link;
        for (const q of queue) ws.send(q);
        queue = [];
      }
      if (m.type === 'closed') status.textContent = 'link closed';
    };
    ws.onclose = () => { ws = null; if (status.textContent.startsWith('conn')) status.textContent = 'not connected'; };
  };
  const send = () => {
    const text = input.value.trim();
    if (!text) return;
    const msg = JSON.stringify({ type: 'send', text, format: fmt.value });
    connect();
    if (ws.readyState === WebSocket.OPEN && status.textContent.startsWith('connected')) ws.send(msg);
    else queue.push(msg);
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); } });
  const node = el('div', { class: 'card', id: 'try' },
    el('p', { class: 'muted' }, 'Opens a data link to ' + name + ' (' + view.direction + ') and shows every value sent and received with its time. Ctrl+Enter sends.'),
    input,
    el('div', { class: 'row' }, fmt, el('button', { id: 'try-send', onclick: send, disabled: !canSend }, 'Send'),
      el('button', { class: 'ghost', id: 'try-connect', onclick: connect }, 'Connect'),
      el('button', { class: 'ghost', id: 'try-end', onclick: () => ws && ws.send(JSON.stringify({ type: 'end' })) }, 'End'),
      el('button', { class: 'ghost', id: 'try-close', onclick: () => ws && ws.close() }, 'Close'),
      el('button', { class: 'ghost', onclick: () => log.replaceChildren() }, 'Clear'), show, status),
    log);
  return {
    node, canSend,
    fill: (text) => { input.value = text; fmt.value = 'gene'; input.focus(); node.scrollIntoView({ block: 'center' }); },
    stop: () => { if (ws) ws.close(); },
  };
}

function firstExample(view) {
  for (const m of view.messages) if (m.from === 'client' && m.examples.length) return m.examples[0].gene;
  return '(hello ^to "world")';
}

// ---- live stats ----

// sparkline draws values as an inline SVG polyline.
function sparkline(values) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 100 40');
  svg.setAttribute('preserveAspectRatio', 'none');
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => (values.length < 2 ? 0 : (i * 100) / (values.length - 1)).toFixed(1) + ',' + (38 - (v / max) * 36).toFixed(1));
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts.join(' '));
  svg.append(line);
  return svg;
}

const sum = (o) => Object.values(o || {}).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0);

function liveStats(name, healthEl) {
  const series = {
    'values in /s': { rate: (s) => s.stats['values-in'] },
    'values out /s': { rate: (s) => s.stats['values-out'] },
    'bytes in /s': { rate: (s) => s.stats['bytes-in'] },
    'open data links': { abs: (s) => { const l = s.stats.links || {}; return (l.send || 0) + (l.recv || 0) + (l['send+recv'] || 0); } },
    'credit stalls': { abs: (s) => s.stats['credit-stalls'] || 0 },
    'drops': { abs: (s) => s.stats.drops || 0 },
    'resets': { abs: (s) => sum(s.stats.resets) },
    'handler errors': { abs: (s) => s.stats['handler-errors'] || 0 },
    'plugin crashes': { abs: (s) => (s.stats.plugin || {}).crashes || 0 },
    'host memory MiB': { abs: (s) => s.sys && s.sys.memory ? s.sys.memory.used / 1048576 : 0 },
    'host connections': { abs: (s) => s.sys && s.sys.conns ? s.sys.conns.open : 0 },
  };
  const hist = Object.fromEntries(Object.keys(series).map((k) => [k, []]));
  const node = el('div', { class: 'charts', id: 'stats' });
  const status = el('div', { class: 'card', id: 'plugin-status' }, el('span', { class: 'muted' }, 'waiting for stats...'));
  let prev = null;
  let timer = null;
  let stopped = false;
  const tick = async () => {
    let s;
    try {
      s = await api('/api/iface/' + enc(name) + '/stats', name);
      try { s.sys = await api('/api/sys/stats', '$sys'); } catch (e) { s.sys = null; }
    } catch (err) {
      status.replaceChildren(errorBox(err));
      if (!stopped) timer = setTimeout(tick, 2000);
      return;
    }
    healthEl.replaceChildren(badge(s.health.status), ...(s.health.reason ? [el('span', { class: 'muted' }, ' ' + s.health.reason)] : []));
    const cards = [];
    for (const [label, f] of Object.entries(series)) {
      let v;
      if (f.rate) {
        const cur = f.rate(s) || 0;
        v = prev ? Math.max(0, (cur - (f.rate(prev) || 0)) / Math.max(0.001, (s.at - prev.at) / 1000)) : 0;
      } else v = f.abs(s);
      const h = hist[label];
      h.push(v);
      if (h.length > 60) h.shift();
      cards.push(el('div', { class: 'chart', dataset: { stat: label } }, el('div', { class: 'label' }, label),
        el('div', { class: 'value' }, Number.isInteger(v) ? v : v.toFixed(1)), sparkline(h)));
    }
    node.replaceChildren(...cards);
    const st = s.stats;
    const rows = [['health', s.health.status + (s.health.reason ? ': ' + s.health.reason : '')]];
    const pl = st.plugin || {};
    const fields = [['generation', st.generation], ['plugin version', st['plugin-version']], ['runtime', pl.runtime], ['instances', pl.instances],
      ['live instances', pl['live-instances']], ['crashes', pl.crashes], ['load error', st['load-error']], ['reload error', st['reload-error']],
      ['last error', st['last-error']], ['last error at', st['last-error-at']]];
    for (const [k, v] of fields) {
      if (v !== undefined && v !== null && v !== '') rows.push([k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
    }
    status.replaceChildren(el('dl', { class: 'kv' }, rows.map(([k, v]) => [el('dt', {}, k),
      el('dd', { class: /error/.test(k) ? 'failed' : '', dataset: { key: k } }, v)])));
    prev = s;
    if (!stopped) timer = setTimeout(tick, 1000);
  };
  tick();
  return { node, status, stop: () => { stopped = true; clearTimeout(timer); } };
}

// ---- routing ----

function route() {
  for (const f of pageStop) f();
  pageStop = [];
  const m = location.hash.match(/^#\/iface\/([^/]+)$/);
  if (m) showIface(decodeURIComponent(m[1]));
  else if (!location.hash.startsWith('#msg-')) showList();
}

window.addEventListener('hashchange', () => { if (!location.hash.startsWith('#msg-')) route(); });
route();
