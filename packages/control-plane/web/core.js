// The hubspoke ops console: one page, no framework. Every view reads the same live stream (/api/live, server-sent
// events) and calls the admin operations through /api/ with the session cookie and the CSRF header.
// This file: the page's state and the helpers every view uses (window.HS); each view is a file of its own.
(function () {
  'use strict';

  var S = {
    csrf: '',
    assetKey: '',
    edges: new Map(),
    flow: [],
    plugins: [],
    live: null,
    view: null,
    replayRun: '',
    replays: new Map(),
    lastConfigPut: null,
  };
  var main = document.getElementById('main');
  var HS = (window.HS = { S: S, main: main, views: {}, showLogin: function () {} });

  // ---------- small helpers ----------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') el.textContent = v;
        else if (k === 'class') el.className = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return el;
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }
  function ago(ms) {
    if (!ms) return '—';
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function time(ms) {
    return ms ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '—';
  }
  function localInputToMs(v) {
    if (!v) return undefined;
    var t = new Date(v).getTime();
    return isNaN(t) ? undefined : t;
  }
  function errorText(e) {
    return e && e.code ? e.code + ': ' + e.message.replace(e.code + ': ', '') : String(e && e.message ? e.message : e);
  }
  function notice(el, text, kind) {
    clear(el);
    if (text)
      el.appendChild(
        h('div', { class: 'notice ' + (kind || ''), role: kind === 'error' ? 'alert' : 'status', text: text }),
      );
  }

  // ---------- API ----------
  function api(method, path, body) {
    var headers = { accept: 'application/json' };
    if (method !== 'GET') headers['x-hs-csrf'] = S.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch('/api/' + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    }).then(function (res) {
      return res.json().then(
        function (j) {
          if (res.status === 401 && path !== 'login') HS.showLogin();
          if (!res.ok) {
            var e = new Error((j.error && j.error.message) || res.statusText);
            e.code = j.error && j.error.code;
            e.status = res.status;
            throw e;
          }
          return j;
        },
        function () {
          var e = new Error(res.status + ' ' + res.statusText);
          e.status = res.status;
          throw e;
        },
      );
    });
  }
  function qs(obj) {
    var p = new URLSearchParams();
    Object.keys(obj).forEach(function (k) {
      if (obj[k] !== undefined && obj[k] !== '') p.set(k, String(obj[k]));
    });
    var s = p.toString();
    return s ? '?' + s : '';
  }

  // ---------- what the views build alike ----------
  // A view is one section of the page: a bar with its title and what stands beside it, then its content.
  function section(title, bar, content, attrs) {
    main.appendChild(
      h('section', attrs || null, [h('div', { class: 'bar' }, [h('h2', { text: title })].concat(bar))].concat(content)),
    );
  }
  // A table with a header row of `columns` (text, or a node for the cell) over `tbody`.
  function grid(id, columns, tbody) {
    return h('table', { class: 'grid', id: id }, [
      h('thead', null, [
        h(
          'tr',
          null,
          columns.map(function (c) {
            return typeof c === 'string' ? h('th', { text: c }) : h('th', null, [c]);
          }),
        ),
      ]),
      tbody,
    ]);
  }
  // The payload filter of the payloads, dead letters and replay views; `extra` goes at its end.
  function filterForm(id, extra) {
    var f = {
      edgeId: h('input', { name: 'edgeId', placeholder: 'edge id' }),
      namespace: h('input', { name: 'namespace', placeholder: 'namespace' }),
      since: h('input', { name: 'since', type: 'datetime-local', step: '1' }),
      until: h('input', { name: 'until', type: 'datetime-local', step: '1' }),
      correlationId: h('input', { name: 'correlationId', placeholder: 'correlation id' }),
    };
    var form = h(
      'form',
      { class: 'filters', id: id },
      [
        h('label', null, ['Edge', f.edgeId]),
        h('label', null, ['Namespace', f.namespace]),
        h('label', null, ['From', f.since]),
        h('label', null, ['To', f.until]),
        h('label', null, ['Correlation id', f.correlationId]),
      ].concat(extra || []),
    );
    return {
      form: form,
      value: function () {
        return {
          edgeId: f.edgeId.value.trim(),
          namespace: f.namespace.value.trim(),
          sinceUnixMs: localInputToMs(f.since.value),
          untilUnixMs: localInputToMs(f.until.value),
          correlationId: f.correlationId.value.trim(),
        };
      },
    };
  }

  // What the views take (each names the ones it uses: `var { h, api } = HS;`).
  Object.assign(HS, { h, clear, ago, time, localInputToMs, errorText, notice, api, qs, section, grid, filterForm });
})();
