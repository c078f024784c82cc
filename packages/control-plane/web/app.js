// The hubspoke ops console: one page, no framework. Every view reads the same live stream (/api/live, server-sent
// events) and calls the admin operations through /api/ with the session cookie and the CSRF header.
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
  var nav = document.getElementById('nav');
  var liveBadge = document.getElementById('live');
  var logoutBtn = document.getElementById('logout');

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
          if (res.status === 401 && path !== 'login') showLogin();
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

  // ---------- live stream ----------
  function startLive() {
    if (S.live) return;
    var es = new EventSource('/api/live');
    S.live = es;
    es.onopen = function () {
      liveBadge.textContent = 'live';
      liveBadge.className = 'live on';
    };
    es.onerror = function () {
      liveBadge.textContent = 'reconnecting';
      liveBadge.className = 'live off';
      if (es.readyState === 2) {
        S.live = null;
        api('GET', 'session').then(
          function () {
            setTimeout(startLive, 1000);
          },
          function () {},
        );
      }
    };
    es.addEventListener('edges', function (e) {
      var d = JSON.parse(e.data);
      if (d.all) {
        S.edges = new Map();
        d.all.forEach(function (x) {
          S.edges.set(x.edgeId, x);
        });
      }
      (d.upsert || []).forEach(function (x) {
        S.edges.set(x.edgeId, x);
      });
      (d.remove || []).forEach(function (id) {
        S.edges.delete(id);
      });
      if (S.view && S.view.onEdges) S.view.onEdges(d);
    });
    es.addEventListener('flow-history', function (e) {
      S.flow = JSON.parse(e.data);
      if (S.view && S.view.onFlow) S.view.onFlow();
    });
    es.addEventListener('flow', function (e) {
      var s = JSON.parse(e.data);
      S.flow.push(s);
      if (S.flow.length > 600) S.flow.shift();
      if (S.view && S.view.onFlow) S.view.onFlow(s);
    });
    es.addEventListener('replay', function (e) {
      var p = JSON.parse(e.data);
      // Kept by run: a short run can end before the page has the answer to its POST (which names the run).
      var prev = S.replays.get(p.run);
      p.allFailures = (prev ? prev.allFailures : []).concat(p.failures || []).slice(-200);
      S.replays.set(p.run, p);
      if (S.view && S.view.onReplay) S.view.onReplay(p);
    });
    es.addEventListener('dead-letters', function () {
      if (S.view && S.view.onDeadLetters) S.view.onDeadLetters();
    });
  }
  function stopLive() {
    if (S.live) S.live.close();
    S.live = null;
    liveBadge.textContent = 'offline';
    liveBadge.className = 'live off';
  }

  // ---------- routing ----------
  var VIEWS = [
    ['edges', 'Edges'],
    ['flow', 'Flow'],
    ['payloads', 'Payloads'],
    ['dead-letters', 'Dead letters'],
    ['replay', 'Replay'],
    ['config', 'Config'],
  ];
  function renderNav() {
    clear(nav);
    VIEWS.forEach(function (v) {
      nav.appendChild(h('a', { href: '/' + v[0], 'data-nav': true, 'data-view': v[0], text: v[1] }));
    });
    S.plugins.forEach(function (p) {
      p.pages.forEach(function (pg) {
        var href = '/plugins/' + encodeURIComponent(p.name) + (pg.path === '/' ? '/' : pg.path);
        nav.appendChild(
          h('a', {
            href: href,
            'data-nav': true,
            class: 'plugin',
            text: p.title + (p.pages.length > 1 ? ': ' + pg.title : ''),
          }),
        );
      });
    });
    markNav();
  }
  function markNav() {
    Array.prototype.forEach.call(nav.querySelectorAll('a'), function (a) {
      a.classList.toggle('active', a.getAttribute('href') === location.pathname);
    });
  }
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[data-nav]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    go(a.getAttribute('href'));
  });
  window.addEventListener('popstate', function () {
    route();
  });
  function go(path) {
    if (path !== location.pathname + location.search) history.pushState(null, '', path);
    route();
  }
  function route() {
    if (S.view && S.view.leave) S.view.leave();
    S.view = null;
    var parts = location.pathname.split('/').filter(Boolean);
    var name = parts[0] || 'edges';
    clear(main);
    markNav();
    if (name === 'plugins') return (S.view = pluginView(parts.slice(1)));
    var make = {
      edges: edgesView,
      flow: flowView,
      payloads: payloadsView,
      'dead-letters': deadLettersView,
      replay: replayView,
      config: configView,
    }[name];
    if (!make) {
      go('/edges');
      return;
    }
    document.title = 'hubspoke console: ' + name;
    S.view = make();
  }

  // ---------- login ----------
  function showLogin(msg) {
    stopLive();
    S.view = null;
    nav.hidden = true;
    logoutBtn.hidden = true;
    clear(main);
    var input = h('input', {
      type: 'password',
      id: 'token',
      name: 'token',
      autocomplete: 'current-password',
      required: true,
      placeholder: 'admin token',
    });
    var out = h('div');
    var form = h('form', { class: 'login card', id: 'login' }, [
      h('h1', { text: 'hubspoke ops console' }),
      h('label', { for: 'token', text: 'Admin token' }),
      input,
      h('button', { type: 'submit', class: 'primary', text: 'Log in' }),
      out,
      h('p', {
        class: 'muted small',
        text: 'The admin token of this control plane (admin.token; hubspoke auth init writes admin.token).',
      }),
    ]);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      api('POST', 'login', { token: input.value }).then(
        function (s) {
          S.csrf = s.csrf;
          S.assetKey = s.assetKey;
          input.value = '';
          start();
        },
        function (err) {
          notice(out, errorText(err), 'error');
        },
      );
    });
    main.appendChild(form);
    if (msg) notice(out, msg, 'error');
    input.focus();
  }
  logoutBtn.addEventListener('click', function () {
    api('POST', 'logout').then(
      function () {
        showLogin();
      },
      function () {
        showLogin();
      },
    );
  });

  function start() {
    nav.hidden = false;
    logoutBtn.hidden = false;
    startLive();
    api('GET', 'plugins').then(
      function (r) {
        S.plugins = r.plugins;
        renderNav();
        route();
      },
      function () {
        S.plugins = [];
        renderNav();
        route();
      },
    );
    renderNav();
    if (location.pathname === '/' || location.pathname === '/login') history.replaceState(null, '', '/edges');
  }

  // ---------- edges ----------
  var STATE_ORDER = { offline: 0, stale: 1, online: 2 };
  function edgesView() {
    var filter = h('input', { type: 'search', placeholder: 'filter by edge or namespace', id: 'edge-filter' });
    var summary = h('div', { class: 'summary', id: 'edge-summary' });
    var tbody = h('tbody');
    var table = h('table', { class: 'grid', id: 'edges' }, [
      h('thead', null, [
        h(
          'tr',
          null,
          [
            'edge',
            'namespace',
            'state',
            'last seen',
            'version',
            'config applied / latest',
            'outbox',
            'reconnects',
            'last error',
          ].map(function (t) {
            return h('th', { text: t });
          }),
        ),
      ]),
      tbody,
    ]);
    main.appendChild(
      h('section', null, [h('div', { class: 'bar' }, [h('h2', { text: 'Edges' }), summary, filter]), table]),
    );
    var rows = new Map();
    function cells(e) {
      var cfg = e.appliedRevision + ' / ' + e.latestRevision;
      return [
        e.edgeId,
        e.namespace,
        e.state,
        ago(e.lastSeen),
        e.version,
        cfg,
        String(e.outboxDepth),
        String(e.reconnects),
        e.lastError || '',
      ];
    }
    function fill(tr, e) {
      var c = cells(e);
      for (var i = 0; i < c.length; i++) {
        var td = tr.children[i];
        if (td.textContent !== c[i]) td.textContent = c[i];
      }
      tr.className =
        'state-' +
        e.state +
        (e.appliedRevision < e.latestRevision ? ' behind' : '') +
        (e.lastError ? ' has-error' : '');
      tr.children[2].className = 'badge ' + e.state;
      tr.children[8].title = e.lastError || '';
    }
    function row(e) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-edge', e.edgeId);
      for (var i = 0; i < 9; i++) tr.appendChild(document.createElement('td'));
      fill(tr, e);
      return tr;
    }
    function matches(e) {
      var f = filter.value.trim().toLowerCase();
      return !f || e.edgeId.toLowerCase().indexOf(f) >= 0 || e.namespace.toLowerCase().indexOf(f) >= 0;
    }
    function sorted() {
      return Array.from(S.edges.values()).sort(function (a, b) {
        return a.namespace < b.namespace
          ? -1
          : a.namespace > b.namespace
            ? 1
            : a.edgeId < b.edgeId
              ? -1
              : a.edgeId > b.edgeId
                ? 1
                : 0;
      });
    }
    function renderSummary() {
      var n = { online: 0, stale: 0, offline: 0 };
      var behind = 0;
      S.edges.forEach(function (e) {
        n[e.state]++;
        if (e.state !== 'offline' && e.appliedRevision < e.latestRevision) behind++;
      });
      var f = filter.value.trim();
      var shown = 0;
      if (f) {
        S.edges.forEach(function (e) {
          if (matches(e)) shown++;
        });
      }
      summary.textContent =
        (f ? 'showing ' + shown + ' of ' : '') +
        S.edges.size +
        ' edges: ' +
        n.online +
        ' online, ' +
        n.stale +
        ' stale, ' +
        n.offline +
        ' offline' +
        (behind ? ', ' + behind + ' behind on config' : '');
    }
    function renderAll() {
      var frag = document.createDocumentFragment();
      rows = new Map();
      sorted().forEach(function (e) {
        var tr = row(e);
        rows.set(e.edgeId, tr);
        if (!matches(e)) tr.hidden = true;
        frag.appendChild(tr);
      });
      clear(tbody);
      if (S.edges.size === 0)
        tbody.appendChild(
          h('tr', null, [h('td', { colspan: '9', class: 'muted', text: 'No edge has reported yet.' })]),
        );
      tbody.appendChild(frag);
      renderSummary();
    }
    filter.addEventListener('input', function () {
      rows.forEach(function (tr, id) {
        var e = S.edges.get(id);
        tr.hidden = !e || !matches(e);
      });
      renderSummary();
    });
    var tick = setInterval(function () {
      rows.forEach(function (tr, id) {
        var e = S.edges.get(id);
        if (e && !tr.hidden) tr.children[3].textContent = ago(e.lastSeen);
      });
    }, 5000);
    renderAll();
    return {
      onEdges: function (d) {
        if (
          d.all ||
          (d.remove && d.remove.length) ||
          (d.upsert || []).some(function (e) {
            return !rows.has(e.edgeId);
          })
        ) {
          renderAll();
          return;
        }
        d.upsert.forEach(function (e) {
          var tr = rows.get(e.edgeId);
          if (tr) fill(tr, e);
        });
        renderSummary();
      },
      leave: function () {
        clearInterval(tick);
      },
    };
  }

  // ---------- flow ----------
  function flowView() {
    var charts = [
      {
        id: 'chart-events',
        title: 'Events per second',
        series: [
          ['Up', 'up', '#2563eb'],
          ['Down', 'down', '#16a34a'],
        ],
      },
      {
        id: 'chart-payloads',
        title: 'Edge payloads per second',
        series: [
          ['handled', 'payloads', '#7c3aed'],
          ['offers', 'offers', '#9ca3af'],
        ],
      },
      {
        id: 'chart-latency',
        title: 'Dispatch latency (arrival at the hub to handled)',
        unit: 'ms',
        series: [
          ['mean', 'latencyMs', '#ea580c'],
          ['max', 'latencyMaxMs', '#fca5a5'],
        ],
      },
      { id: 'chart-dlq', title: 'Dead letters per second', series: [['dead-lettered', 'deadLetters', '#dc2626']] },
    ];
    var span = 5 * 60000;
    var picker = h('select', { id: 'flow-span' }, [
      h('option', { value: '60000', text: 'last minute' }),
      h('option', { value: '300000', text: 'last 5 minutes', selected: true }),
      h('option', { value: '600000', text: 'last 10 minutes' }),
    ]);
    picker.addEventListener('change', function () {
      span = Number(picker.value);
      draw();
    });
    var now = h('div', { class: 'stats', id: 'flow-now' });
    var grid = h('div', { class: 'charts' });
    charts.forEach(function (c) {
      c.canvas = h('canvas', { id: c.id, class: 'chart' });
      grid.appendChild(h('div', { class: 'card' }, [h('h3', { text: c.title }), c.canvas]));
    });
    main.appendChild(
      h('section', null, [
        h('div', { class: 'bar' }, [
          h('h2', { text: 'Flow' }),
          h('span', { class: 'muted', text: 'sampled every second at this control plane' }),
          picker,
        ]),
        now,
        grid,
      ]),
    );
    function draw() {
      var last = S.flow[S.flow.length - 1];
      clear(now);
      if (last) {
        [
          ['Up', last.up + '/s'],
          ['Down', last.down + '/s'],
          ['payloads handled', last.payloads + '/s'],
          ['dead-lettered', last.deadLetters + '/s'],
          ['dispatch latency', last.latencyMs + ' ms'],
        ].forEach(function (kv) {
          now.appendChild(h('span', { 'data-stat': kv[0] }, [h('b', { text: kv[0] + ' ' }), kv[1]]));
        });
      }
      var times = S.flow.map(function (s) {
        return s.t;
      });
      charts.forEach(function (c) {
        window.hsChart.draw(
          c.canvas,
          times,
          c.series.map(function (s) {
            return {
              label: s[0],
              color: s[2],
              values: S.flow.map(function (x) {
                return x[s[1]];
              }),
            };
          }),
          span,
          c.unit,
        );
      });
    }
    draw();
    window.addEventListener('resize', draw);
    return {
      onFlow: draw,
      leave: function () {
        window.removeEventListener('resize', draw);
      },
    };
  }

  // ---------- filters shared by payloads, dead letters and replay ----------
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
  function bodyView(p) {
    if (p.bodyText !== undefined) {
      var t = p.bodyText;
      try {
        t = JSON.stringify(JSON.parse(t), null, 2);
      } catch (e) {
        /* not JSON: shown as text */
      }
      return h('pre', { class: 'body', text: t });
    }
    return h('pre', { class: 'body', text: '(binary, base64) ' + (p.bodyBase64 || '') });
  }
  function payloadDetails(p) {
    var meta = Object.keys(p.metadata || {})
      .map(function (k) {
        return k + '=' + p.metadata[k];
      })
      .join(', ');
    return h('div', { class: 'card details', id: 'payload-details' }, [
      h('h3', { text: 'Payload ' + p.id }),
      h(
        'dl',
        null,
        [
          ['stream seq', p.streamSeq],
          ['edge', p.namespace + '/' + p.edgeId],
          ['correlation id', p.correlationId || '—'],
          ['causation id', p.causationId || '—'],
          ['origin', p.origin],
          ['sent at the edge', time(p.edgeTimeUnixMs)],
          ['received at the hub', time(p.receivedUnixMs)],
          ['content type', p.contentType],
          ['size', p.size + ' B'],
          ['metadata', meta || '—'],
          ['traceparent', p.traceparent || '—'],
          ['redriven', p.redriven ? 'yes' : 'no'],
        ].reduce(function (acc, kv) {
          acc.push(h('dt', { text: kv[0] }), h('dd', { text: String(kv[1]) }));
          return acc;
        }, []),
      ),
      bodyView(p),
    ]);
  }

  // ---------- payloads ----------
  function payloadsView() {
    var ff = filterForm('payload-search', [h('button', { type: 'submit', class: 'primary', text: 'Search' })]);
    var out = h('div');
    var detail = h('div');
    var tbody = h('tbody');
    var more = h('button', { type: 'button', hidden: true, text: 'More' });
    var lastSeq = 0;
    main.appendChild(
      h('section', null, [
        h('div', { class: 'bar' }, [
          h('h2', { text: 'Payloads' }),
          h('span', { class: 'muted', text: 'as the hub keeps them (the replay window)' }),
        ]),
        ff.form,
        out,
        h('table', { class: 'grid', id: 'payloads' }, [
          h('thead', null, [
            h(
              'tr',
              null,
              ['seq', 'id', 'edge', 'correlation id', 'received', 'size'].map(function (t) {
                return h('th', { text: t });
              }),
            ),
          ]),
          tbody,
        ]),
        more,
        detail,
      ]),
    );
    function open(seq) {
      api('GET', 'payloads/' + seq).then(
        function (r) {
          clear(detail);
          detail.appendChild(payloadDetails(r.payload));
        },
        function (err) {
          notice(detail, errorText(err), 'error');
        },
      );
    }
    function search(append) {
      var f = ff.value();
      f.limit = 100;
      f.afterSeq = append ? lastSeq : 0;
      api('GET', 'payloads' + qs(f)).then(
        function (r) {
          if (!append) clear(tbody);
          notice(out, '');
          r.payloads.forEach(function (p) {
            lastSeq = p.streamSeq;
            tbody.appendChild(
              h(
                'tr',
                {
                  class: 'click',
                  'data-seq': String(p.streamSeq),
                  onclick: function () {
                    open(p.streamSeq);
                  },
                },
                [
                  h('td', { text: String(p.streamSeq) }),
                  h('td', { class: 'mono', text: p.id }),
                  h('td', { text: p.namespace + '/' + p.edgeId }),
                  h('td', { text: p.correlationId || '' }),
                  h('td', { text: time(p.receivedUnixMs) }),
                  h('td', { text: p.size + ' B' }),
                ],
              ),
            );
          });
          if (!append && r.payloads.length === 0)
            tbody.appendChild(h('tr', null, [h('td', { colspan: '6', class: 'muted', text: 'No payload matches.' })]));
          more.hidden = !r.truncated;
        },
        function (err) {
          notice(out, errorText(err), 'error');
        },
      );
    }
    ff.form.addEventListener('submit', function (e) {
      e.preventDefault();
      search(false);
    });
    more.addEventListener('click', function () {
      search(true);
    });
    search(false);
    return {};
  }

  // ---------- dead letters ----------
  function deadLettersView() {
    var ff = filterForm('dlq-filter', [h('button', { type: 'submit', class: 'primary', text: 'Filter' })]);
    var out = h('div');
    var detail = h('div');
    var tbody = h('tbody');
    var all = h('input', { type: 'checkbox', title: 'select all' });
    var redriveBtn = h('button', { type: 'button', id: 'redrive', text: 'Redrive selected' });
    var dropBtn = h('button', { type: 'button', id: 'drop', class: 'danger', text: 'Drop selected' });
    var confirmDrop = h('button', {
      type: 'button',
      id: 'confirm-drop',
      class: 'danger',
      hidden: true,
      text: 'Really drop',
    });
    main.appendChild(
      h('section', null, [
        h('div', { class: 'bar' }, [
          h('h2', { text: 'Dead letters' }),
          h('span', { class: 'muted', id: 'dlq-count' }),
          redriveBtn,
          dropBtn,
          confirmDrop,
        ]),
        ff.form,
        out,
        h('table', { class: 'grid', id: 'dead-letters' }, [
          h('thead', null, [
            h(
              'tr',
              null,
              [h('th', null, [all])].concat(
                ['seq', 'payload', 'edge', 'why', 'plugin', 'attempts', 'dead-lettered'].map(function (t) {
                  return h('th', { text: t });
                }),
              ),
            ),
          ]),
          tbody,
        ]),
        detail,
      ]),
    );
    var list = [];
    function selected() {
      return Array.prototype.map.call(tbody.querySelectorAll('input[type=checkbox]:checked'), function (c) {
        return Number(c.value);
      });
    }
    function load() {
      var keep = new Set(selected());
      api('GET', 'dead-letters' + qs(Object.assign(ff.value(), { limit: 200 }))).then(
        function (r) {
          list = r.deadLetters;
          clear(tbody);
          document.getElementById('dlq-count').textContent = list.length + (r.truncated ? '+' : '') + ' dead letter(s)';
          list.forEach(function (d) {
            var p = d.payload || {};
            var box = h('input', {
              type: 'checkbox',
              value: String(d.seq),
              checked: keep.has(d.seq),
              'aria-label': 'select ' + d.seq,
            });
            tbody.appendChild(
              h('tr', { 'data-seq': String(d.seq) }, [
                h('td', null, [box]),
                h('td', { text: String(d.seq) }),
                h('td', {
                  class: 'mono click',
                  text: p.id || '',
                  onclick: function () {
                    clear(detail);
                    detail.appendChild(payloadDetails(p));
                  },
                }),
                h('td', { text: (p.namespace || '') + '/' + (p.edgeId || '') }),
                h('td', { class: 'why', text: d.reason }),
                h('td', { text: d.plugin || '—' }),
                h('td', { text: String(d.attempts) }),
                h('td', { text: time(d.deadLetteredUnixMs) }),
              ]),
            );
          });
          if (list.length === 0)
            tbody.appendChild(h('tr', null, [h('td', { colspan: '8', class: 'muted', text: 'No dead letters.' })]));
        },
        function (err) {
          notice(out, errorText(err), 'error');
        },
      );
    }
    function act(what) {
      var seqs = selected();
      if (seqs.length === 0) return notice(out, 'Select dead letters first.', 'error');
      confirmDrop.hidden = true;
      api('POST', 'dead-letters/' + what, { seqs: seqs }).then(
        function (r) {
          var n = what === 'redrive' ? r.redriven.length : r.dropped.length;
          notice(
            out,
            (what === 'redrive' ? 'Redriven: ' : 'Dropped: ') +
              n +
              (r.missing.length ? ' (' + r.missing.length + ' already gone)' : ''),
            'ok',
          );
          load();
        },
        function (err) {
          notice(out, errorText(err), 'error');
        },
      );
    }
    all.addEventListener('change', function () {
      Array.prototype.forEach.call(tbody.querySelectorAll('input[type=checkbox]'), function (c) {
        c.checked = all.checked;
      });
    });
    redriveBtn.addEventListener('click', function () {
      act('redrive');
    });
    dropBtn.addEventListener('click', function () {
      var n = selected().length;
      if (n === 0) return notice(out, 'Select dead letters first.', 'error');
      confirmDrop.textContent = 'Really drop ' + n + '?';
      confirmDrop.hidden = false;
    });
    confirmDrop.addEventListener('click', function () {
      act('drop');
    });
    ff.form.addEventListener('submit', function (e) {
      e.preventDefault();
      load();
    });
    load();
    return {
      onDeadLetters: load,
      onFlow: function (s) {
        if (s && s.deadLetters > 0) load();
      },
    };
  }

  // ---------- replay ----------
  function replayView() {
    var plugin = h('input', { name: 'plugin', placeholder: 'every receiver' });
    var dry = h('input', { type: 'checkbox', name: 'dryRun', id: 'dry-run', checked: true });
    var ff = filterForm('replay-form', [
      h('label', null, ['Plugin', plugin]),
      h('label', { class: 'check' }, [dry, 'Dry run (count only)']),
      h('button', { type: 'submit', class: 'primary', id: 'replay-start', text: 'Start' }),
    ]);
    var out = h('div');
    var bar = h('progress', { id: 'replay-progress', max: '1', value: '0' });
    var stats = h('div', { class: 'stats', id: 'replay-stats' });
    var cancel = h('button', { type: 'button', id: 'replay-cancel', class: 'danger', disabled: true, text: 'Cancel' });
    var failures = h('ul', { class: 'failures', id: 'replay-failures' });
    main.appendChild(
      h('section', null, [
        h('div', { class: 'bar' }, [
          h('h2', { text: 'Replay' }),
          h('span', {
            class: 'muted',
            text: 'offers stored payloads again, each as a copy with a new id that says it is a replay',
          }),
        ]),
        ff.form,
        out,
        h('div', { class: 'card' }, [h('div', { class: 'progress-row' }, [bar, cancel]), stats, failures]),
      ]),
    );
    var run = '';
    function show(p) {
      bar.max = Math.max(1, p.total);
      bar.value = p.done ? bar.max : p.scanned;
      clear(stats);
      [
        ['state', p.done ? (p.error ? 'stopped' : 'done') : 'running'],
        ['dry run', p.dryRun ? 'yes' : 'no'],
        ['scanned', p.scanned + ' / ' + p.total],
        ['matched', p.matched],
        ['offered', p.offered],
        ['handled', p.handled],
        ['failed', p.failed],
      ].forEach(function (kv) {
        stats.appendChild(h('span', { 'data-stat': kv[0] }, [h('b', { text: kv[0] + ' ' }), String(kv[1])]));
      });
      clear(failures);
      (p.allFailures || []).forEach(function (f) {
        failures.appendChild(
          h('li', {
            text: f.payloadId + ' (seq ' + f.streamSeq + ')' + (f.plugin ? ' ' + f.plugin : '') + ': ' + f.reason,
          }),
        );
      });
      if (p.error) notice(out, p.error, 'error');
      cancel.disabled = p.done;
    }
    ff.form.addEventListener('submit', function (e) {
      e.preventDefault();
      clear(failures);
      clear(stats);
      stats.appendChild(h('span', { 'data-stat': 'state' }, [h('b', { text: 'state ' }), 'starting']));
      bar.value = 0;
      notice(out, '');
      var body = { filter: ff.value(), dryRun: dry.checked, plugin: plugin.value.trim() };
      Object.keys(body.filter).forEach(function (k) {
        if (body.filter[k] === undefined || body.filter[k] === '') delete body.filter[k];
      });
      api('POST', 'replay', body).then(
        function (r) {
          run = r.run;
          S.replayRun = run;
          cancel.disabled = false;
          if (S.replays.has(run)) show(S.replays.get(run));
        },
        function (err) {
          notice(out, errorText(err), 'error');
        },
      );
    });
    cancel.addEventListener('click', function () {
      if (run)
        api('POST', 'replay/' + run + '/cancel').then(
          function () {},
          function (err) {
            notice(out, errorText(err), 'error');
          },
        );
    });
    if (S.replayRun && S.replays.has(S.replayRun)) show(S.replays.get(S.replayRun));
    return {
      onReplay: function (p) {
        if (p.run === (run || S.replayRun)) show(p);
      },
    };
  }

  // ---------- config ----------
  function configView() {
    var namespaces = new Set();
    S.edges.forEach(function (e) {
      namespaces.add(e.namespace);
    });
    var scope = h(
      'select',
      { id: 'config-scope' },
      [h('option', { value: '', text: 'global' })].concat(
        Array.from(namespaces)
          .sort()
          .map(function (n) {
            return h('option', { value: n, text: 'namespace ' + n });
          }),
      ),
    );
    var key = h('input', { id: 'config-key', placeholder: 'key, e.g. plugin.cache-edge', required: true });
    var value = h('textarea', {
      id: 'config-value',
      rows: '8',
      spellcheck: 'false',
      placeholder: '{ "json": "value" }',
    });
    var out = h('div', { id: 'config-result' });
    var tbody = h('tbody');
    var acks = h('div', { id: 'config-acks' });
    var form = h('form', { class: 'card editor', id: 'config-form' }, [
      h('h3', { text: 'Edit' }),
      h('label', null, ['Key', key]),
      h('label', null, ['Value (JSON)', value]),
      h('div', { class: 'row' }, [
        h('button', { type: 'submit', class: 'primary', id: 'config-save', text: 'Save' }),
        h('button', { type: 'button', id: 'config-delete', class: 'danger', text: 'Delete' }),
      ]),
      out,
    ]);
    main.appendChild(
      h('section', null, [
        h('div', { class: 'bar' }, [h('h2', { text: 'Config' }), h('label', null, ['Scope ', scope])]),
        h('div', { class: 'split' }, [
          h('table', { class: 'grid', id: 'config-keys' }, [
            h('thead', null, [
              h(
                'tr',
                null,
                ['key', 'value', 'revision'].map(function (t) {
                  return h('th', { text: t });
                }),
              ),
            ]),
            tbody,
          ]),
          h('div', null, [form, acks]),
        ]),
      ]),
    );
    function load() {
      api('GET', 'config' + qs({ namespace: scope.value })).then(
        function (r) {
          clear(tbody);
          r.entries.forEach(function (e) {
            tbody.appendChild(
              h(
                'tr',
                {
                  class: 'click',
                  'data-key': e.key,
                  onclick: function () {
                    key.value = e.key;
                    value.value = JSON.stringify(e.value, null, 2);
                  },
                },
                [
                  h('td', { class: 'mono', text: e.key }),
                  h('td', { class: 'mono clip', text: JSON.stringify(e.value) }),
                  h('td', { text: String(e.revision) }),
                ],
              ),
            );
          });
          if (r.entries.length === 0)
            tbody.appendChild(
              h('tr', null, [h('td', { colspan: '3', class: 'muted', text: 'No keys in this scope.' })]),
            );
        },
        function (err) {
          notice(out, errorText(err), 'error');
        },
      );
    }
    function renderAcks() {
      var put = S.lastConfigPut;
      clear(acks);
      if (!put) return;
      var rows = [];
      S.edges.forEach(function (e) {
        if (put.namespace && e.namespace !== put.namespace) return;
        var mark = put.key + '@' + put.revision;
        var st;
        if (e.lastError && e.lastError.indexOf(mark) >= 0) st = ['rejected', e.lastError];
        else if (e.appliedRevision >= put.revision) st = ['applied', 'revision ' + e.appliedRevision];
        else if (e.state === 'offline') st = ['offline', 'will catch up when it reconnects'];
        else st = ['pending', 'applied ' + e.appliedRevision + ' of ' + put.revision];
        rows.push({ e: e, st: st });
      });
      rows.sort(function (a, b) {
        return a.e.edgeId < b.e.edgeId ? -1 : 1;
      });
      var done = rows.filter(function (r) {
        return r.st[0] === 'applied';
      }).length;
      acks.appendChild(
        h('div', { class: 'card' }, [
          h('h3', {
            text:
              'Acknowledgements of ' +
              put.key +
              ' revision ' +
              put.revision +
              ' (' +
              (put.namespace ? 'namespace ' + put.namespace : 'global') +
              '): ' +
              done +
              ' of ' +
              rows.length +
              ' applied',
          }),
          h('table', { class: 'grid', id: 'acks' }, [
            h('thead', null, [
              h(
                'tr',
                null,
                ['edge', 'namespace', 'acknowledgement', 'detail'].map(function (t) {
                  return h('th', { text: t });
                }),
              ),
            ]),
            h(
              'tbody',
              null,
              rows.map(function (r) {
                return h('tr', { 'data-edge': r.e.edgeId, class: 'ack-' + r.st[0] }, [
                  h('td', { text: r.e.edgeId }),
                  h('td', { text: r.e.namespace }),
                  h('td', { class: 'badge ' + r.st[0], text: r.st[0] }),
                  h('td', { class: 'why', text: r.st[1] }),
                ]);
              }),
            ),
          ]),
        ]),
      );
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var v;
      try {
        v = JSON.parse(value.value);
      } catch (err) {
        notice(out, 'The value is not JSON: ' + err.message, 'error');
        return;
      }
      api('PUT', 'config', { key: key.value.trim(), namespace: scope.value, value: v }).then(
        function (r) {
          notice(out, 'Saved ' + r.key + ' at revision ' + r.revision + '.', 'ok');
          S.lastConfigPut = r;
          renderAcks();
          load();
        },
        function (err) {
          notice(out, errorText(err), 'error');
        },
      );
    });
    document.getElementById('config-delete') &&
      form.querySelector('#config-delete').addEventListener('click', function () {
        if (!key.value.trim()) return notice(out, 'Give the key to delete.', 'error');
        api('DELETE', 'config' + qs({ key: key.value.trim(), namespace: scope.value })).then(
          function (r) {
            notice(out, r.deleted ? 'Deleted.' : 'There was no such key in this scope.', 'ok');
            load();
          },
          function (err) {
            notice(out, errorText(err), 'error');
          },
        );
      });
    scope.addEventListener('change', load);
    load();
    renderAcks();
    return { onEdges: renderAcks };
  }

  // ---------- plugin pages ----------
  function pluginView(parts) {
    var name = decodeURIComponent(parts[0] || '');
    var rest = '/' + parts.slice(1).join('/');
    var p = S.plugins.find(function (x) {
      return x.name === name;
    });
    if (!p) {
      main.appendChild(h('p', { class: 'muted', text: 'No plugin ' + name + ' with console pages.' }));
      return {};
    }
    var page =
      p.pages.find(function (pg) {
        return pg.path === rest || pg.path === rest.replace(/\/$/, '');
      }) || p.pages[0];
    document.title = 'hubspoke console: ' + p.title;
    var frame = h('iframe', {
      class: 'plugin-frame',
      id: 'plugin-frame',
      title: p.title,
      sandbox: 'allow-scripts allow-forms',
      referrerpolicy: 'no-referrer',
      src:
        '/plugin-assets/' +
        encodeURIComponent(S.assetKey) +
        '/' +
        encodeURIComponent(name) +
        '/' +
        page.entry.replace(/^\//, ''),
    });
    main.appendChild(
      h('section', { class: 'plugin-page' }, [
        h('div', { class: 'bar' }, [
          h('h2', { text: p.title + (p.pages.length > 1 ? ': ' + page.title : '') }),
          h('span', { class: 'muted', text: 'plugin ' + name + ', sandboxed' }),
        ]),
        frame,
      ]),
    );
    function onMessage(e) {
      if (e.source !== frame.contentWindow) return;
      var m = e.data;
      if (!m || m.hs !== 'rpc' || typeof m.method !== 'string') return;
      var reply = function (r) {
        frame.contentWindow.postMessage(Object.assign({ hs: 'rpc-reply', id: m.id }, r), '*');
      };
      api(
        'POST',
        'plugins/' + encodeURIComponent(name) + '/rpc/' + encodeURIComponent(m.method),
        m.payload === undefined ? null : m.payload,
      ).then(
        function (r) {
          reply({ ok: true, result: r.result });
        },
        function (err) {
          reply({ ok: false, status: err.status, error: { code: err.code, message: err.message } });
        },
      );
    }
    window.addEventListener('message', onMessage);
    return {
      leave: function () {
        window.removeEventListener('message', onMessage);
      },
    };
  }

  // ---------- boot ----------
  // /session (outside /api/) answers 200 either way, so that a page before login logs no failed request.
  fetch('/session', { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(
    function (res) {
      return res.json().then(function (s) {
        if (!s.authenticated) return showLogin();
        S.csrf = s.csrf;
        S.assetKey = s.assetKey;
        start();
      });
    },
    function () {
      showLogin('The console does not answer.');
    },
  );
})();
