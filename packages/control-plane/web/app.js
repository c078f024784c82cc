// The console's frame: the live stream, routing, login and start (the views are in view-*.js, helpers in core.js).
(function (HS) {
  'use strict';
  var { S, main, h, clear, api, notice, errorText } = HS;
  var nav = document.getElementById('nav');
  var liveBadge = document.getElementById('live');
  var logoutBtn = document.getElementById('logout');

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
    if (name === 'plugins') return (S.view = HS.views.plugin(parts.slice(1)));
    var make = name === 'plugin' ? undefined : HS.views[name];
    if (!make) {
      go('/edges');
      return;
    }
    document.title = 'hubspoke console: ' + name;
    S.view = make();
  }

  // ---------- login ----------
  HS.showLogin = showLogin;
  function showLogin(msg) {
    stopLive();
    S.view = null;
    nav.hidden = true;
    logoutBtn.hidden = true;
    liveBadge.hidden = true;
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
        text: 'The admin token of this control plane: hubspoke auth init writes it to admin.token; hubspoke dev prints it.',
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
    liveBadge.hidden = false;
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
})(window.HS);
