// The console's plugin view.
(function (HS) {
  'use strict';
  var { S, main, h, api, section } = HS;

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
    section(
      p.title + (p.pages.length > 1 ? ': ' + page.title : ''),
      [h('span', { class: 'muted', text: 'plugin ' + name + ', sandboxed' })],
      [frame],
      { class: 'plugin-page' },
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

  HS.views.plugin = pluginView;
})(window.HS);
