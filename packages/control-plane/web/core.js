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

  HS.h = h;
  HS.clear = clear;
  HS.ago = ago;
  HS.time = time;
  HS.localInputToMs = localInputToMs;
  HS.errorText = errorText;
  HS.notice = notice;
  HS.api = api;
  HS.qs = qs;
})();
