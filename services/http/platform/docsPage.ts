// A small, dependency-free reader for the OpenAPI document: the page loads its script and style from
// the same origin (so a strict CSP without 'unsafe-inline' holds) and builds the DOM with textContent
// only, never innerHTML, so nothing in the document can inject markup.

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export function docsPageHtml(title: string): string {
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — documentation de l’API</title>
<link rel="stylesheet" href="/api/docs/docs.css">
<script src="/api/docs/docs.js" defer></script>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p id="meta">Chargement du document OpenAPI…</p>
<p><a href="/api/openapi.json">Document OpenAPI (JSON)</a></p>
<label>Filtrer : <input id="filter" type="search" placeholder="chemin, méthode, résumé…"></label></header>
<main>
<section id="operations"><h2>Routes</h2></section>
<section id="problems"><h2>Types de problèmes (RFC 9457)</h2></section>
<section id="schemas"><h2>Schémas</h2></section>
</main>
</body>
</html>
`;
}

export const docsPageStyle = `
:root { font-family: system-ui, sans-serif; color: #1e1e1e; background: #fafafa; }
body { max-width: 72rem; margin: 0 auto; padding: 1rem 2rem 4rem; }
h1 { margin-bottom: 0.2rem; }
h2 { border-bottom: 2px solid #000091; padding-bottom: 0.3rem; margin-top: 2.5rem; }
details.op { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 0.5rem 0; }
details.op > summary { cursor: pointer; padding: 0.6rem 0.8rem; display: flex; gap: 0.8rem; align-items: baseline; }
details.op > div { padding: 0 1rem 1rem; }
.method { font-weight: 700; text-transform: uppercase; font-family: ui-monospace, monospace; min-width: 4.5rem; }
.get { color: #0063cb; } .post { color: #18753c; } .put, .patch { color: #b34000; } .delete { color: #ce0500; }
.path, code, .schema { font-family: ui-monospace, monospace; }
.summary { color: #555; }
.lock::after { content: " 🔒"; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f5; }
ul.schema { list-style: none; padding-left: 1.2rem; margin: 0.2rem 0; border-left: 1px dotted #bbb; }
.req { color: #ce0500; }
.type { color: #6a1b9a; }
.constraint { color: #666; font-size: 0.9em; }
.error { color: #ce0500; }
:target { outline: 2px solid #000091; }
`;

export const docsPageScript = `'use strict';
(function () {
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  function refName(ref) { return ref.split('/').pop(); }
  // Parameters and headers shared by many routes are components: shown where they are used.
  function resolve(node, doc) {
    if (!node || !node.$ref || node.$ref.indexOf('#/components/') !== 0) return node;
    var target = doc;
    node.$ref.slice(2).split('/').forEach(function (k) { target = target && target[k]; });
    return target || node;
  }
  function constraints(s) {
    var out = [];
    ['format', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength',
     'minItems', 'maxItems', 'default', 'const'].forEach(function (k) {
      if (s[k] !== undefined) out.push(k + ' ' + JSON.stringify(s[k]));
    });
    if (s.enum) out.push('∈ ' + s.enum.map(function (v) { return JSON.stringify(v); }).join(' | '));
    return out.join(', ');
  }
  function typeLabel(s) {
    if (!s || typeof s !== 'object') return '';
    if (s.$ref) return null;
    if (Array.isArray(s.type)) return s.type.join(' | ');
    if (s.type === 'array') return 'array';
    return s.type || (s.oneOf ? 'oneOf' : s.anyOf ? 'anyOf' : s.allOf ? 'allOf' : 'any');
  }
  function schemaView(s, depth) {
    if (!s || typeof s !== 'object') return el('span', { class: 'schema' }, 'any');
    if (s.$ref) return el('a', { href: '#schema-' + refName(s.$ref), class: 'schema' }, refName(s.$ref));
    if (depth > 12) return el('span', { class: 'schema' }, '…');
    var head = el('span', { class: 'schema' }, el('span', { class: 'type' }, typeLabel(s)));
    var c = constraints(s);
    if (c) head.appendChild(el('span', { class: 'constraint' }, ' (' + c + ')'));
    if (s.description) head.appendChild(el('span', null, ' — ' + s.description));
    var box = el('div', null, head);
    if (s.properties) {
      var ul = el('ul', { class: 'schema' });
      var required = s.required || [];
      Object.keys(s.properties).forEach(function (name) {
        ul.appendChild(el('li', null, el('code', null, name),
          required.indexOf(name) >= 0 ? el('span', { class: 'req', title: 'obligatoire' }, ' *') : null,
          ' : ', schemaView(s.properties[name], depth + 1)));
      });
      box.appendChild(ul);
    }
    if (s.additionalProperties === false) box.appendChild(el('div', { class: 'constraint' }, 'aucun autre champ accepté'));
    else if (s.additionalProperties && typeof s.additionalProperties === 'object')
      box.appendChild(el('ul', { class: 'schema' }, el('li', null, '[clé] : ', schemaView(s.additionalProperties, depth + 1))));
    if (s.items) box.appendChild(el('ul', { class: 'schema' }, el('li', null, 'éléments : ', schemaView(s.items, depth + 1))));
    ['oneOf', 'anyOf', 'allOf'].forEach(function (k) {
      if (!s[k]) return;
      var list = el('ul', { class: 'schema' });
      s[k].forEach(function (sub) { list.appendChild(el('li', null, schemaView(sub, depth + 1))); });
      box.appendChild(list);
    });
    return box;
  }
  function parametersView(params, doc) {
    params = params.map(function (p) { return resolve(p, doc); });
    var table = el('table', null, el('tr', null, el('th', null, 'Nom'), el('th', null, 'Où'),
      el('th', null, 'Requis'), el('th', null, 'Schéma'), el('th', null, 'Description')));
    params.forEach(function (p) {
      table.appendChild(el('tr', null, el('td', null, el('code', null, p.name)), el('td', null, p.in),
        el('td', null, p.required ? 'oui' : 'non'), el('td', null, schemaView(p.schema, 0)), el('td', null, p.description || '')));
    });
    return table;
  }
  function headersView(headers, doc) {
    var list = el('ul', { class: 'schema' });
    Object.keys(headers || {}).forEach(function (name) {
      var h = resolve(headers[name], doc);
      list.appendChild(el('li', null, el('code', null, name), h.description ? ' — ' + h.description : ''));
    });
    return list;
  }
  function contentView(content) {
    var box = el('div');
    Object.keys(content || {}).forEach(function (type) {
      box.appendChild(el('div', null, el('code', null, type), schemaView(content[type].schema, 0)));
    });
    return box;
  }
  function operationView(path, method, op, doc) {
    var secured = (op.security || doc.security || []).length > 0;
    var body = el('div');
    if (op.description) body.appendChild(el('p', null, op.description));
    if (op.operationId) body.appendChild(el('p', null, 'operationId : ', el('code', null, op.operationId)));
    if (op.parameters && op.parameters.length) { body.appendChild(el('h4', null, 'Paramètres')); body.appendChild(parametersView(op.parameters, doc)); }
    if (op.requestBody) {
      body.appendChild(el('h4', null, 'Corps de la requête', el('span', { class: 'constraint' }, op.requestBody.required ? ' (obligatoire)' : ' (facultatif : sans corps, {} est lu)')));
      body.appendChild(contentView(op.requestBody.content));
    }
    body.appendChild(el('h4', null, 'Réponses'));
    var table = el('table', null, el('tr', null, el('th', null, 'Statut'), el('th', null, 'Description'), el('th', null, 'En-têtes'), el('th', null, 'Contenu')));
    Object.keys(op.responses || {}).forEach(function (status) {
      var r = op.responses[status];
      table.appendChild(el('tr', null, el('td', null, status), el('td', null, r.description || ''), el('td', null, headersView(r.headers, doc)), el('td', null, contentView(r.content))));
    });
    body.appendChild(table);
    var details = el('details', { class: 'op', id: op.operationId ? 'op-' + op.operationId : undefined,
      'data-search': (method + ' ' + path + ' ' + (op.operationId || '') + ' ' + (op.summary || '')).toLowerCase() },
      el('summary', null, el('span', { class: 'method ' + method }, method), el('span', { class: 'path' + (secured ? ' lock' : '') }, path),
        el('span', { class: 'summary' }, op.summary || '')), body);
    return details;
  }
  function render(doc) {
    document.getElementById('meta').textContent = 'OpenAPI ' + doc.openapi + ' · version ' + doc.info.version +
      (doc.info.description ? ' · ' + doc.info.description : '');
    var ops = document.getElementById('operations');
    var methods = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
    var paths = Object.keys(doc.paths || {}).sort();
    if (!paths.length) ops.appendChild(el('p', null, 'Aucune route enregistrée.'));
    paths.forEach(function (path) {
      methods.forEach(function (m) { if (doc.paths[path][m]) ops.appendChild(operationView(path, m, doc.paths[path][m], doc)); });
    });
    var problems = document.getElementById('problems');
    var pt = el('table', null, el('tr', null, el('th', null, 'Statut'), el('th', null, 'Titre'), el('th', null, 'Code'), el('th', null, 'type')));
    (doc['x-problem-types'] || []).forEach(function (p) {
      pt.appendChild(el('tr', { id: 'problem-' + p.kind }, el('td', null, p.status), el('td', null, p.title), el('td', null, el('code', null, p.code)), el('td', null, el('code', null, p.type))));
    });
    problems.appendChild(el('p', null, 'Toute erreur est un document application/problem+json (type, title, status, detail, code, instance, correlationId, errors[]). ' +
      'Pour un refus des règles de gestion (422), code est celui du domaine.'));
    problems.appendChild(pt);
    var schemas = document.getElementById('schemas');
    var comp = (doc.components && doc.components.schemas) || {};
    Object.keys(comp).sort().forEach(function (name) {
      schemas.appendChild(el('div', { id: 'schema-' + name }, el('h3', null, name), schemaView(comp[name], 0)));
    });
    if (location.hash) { var target = document.getElementById(location.hash.slice(1)); if (target) target.scrollIntoView(); }
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('filter').addEventListener('input', function (e) {
      var q = e.target.value.toLowerCase();
      document.querySelectorAll('details.op').forEach(function (d) { d.hidden = q !== '' && d.getAttribute('data-search').indexOf(q) < 0; });
    });
    fetch('/api/openapi.json').then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(render).catch(function (err) {
      var meta = document.getElementById('meta');
      meta.className = 'error';
      meta.textContent = 'Impossible de charger le document OpenAPI : ' + err.message;
    });
  });
})();
`;
