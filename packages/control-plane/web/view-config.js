// The console's config view.
(function (HS) {
  'use strict';
  var { S, h, clear, api, qs, notice, errorText, section, grid } = HS;

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
    section(
      'Config',
      [h('label', null, ['Scope ', scope])],
      [
        h('div', { class: 'split' }, [
          grid('config-keys', ['key', 'value', 'revision'], tbody),
          h('div', null, [form, acks]),
        ]),
      ],
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
          grid(
            'acks',
            ['edge', 'namespace', 'acknowledgement', 'detail'],
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
          ),
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

  HS.views.config = configView;
})(window.HS);
