// The console's dead letters view.
(function (HS) {
  'use strict';
  var { h, clear, api, qs, notice, errorText, time, section, grid, filterForm, payloadDetails } = HS;

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
    section(
      'Dead letters',
      [h('span', { class: 'muted', id: 'dlq-count' }), redriveBtn, dropBtn, confirmDrop],
      [
        ff.form,
        out,
        grid('dead-letters', [all, 'seq', 'payload', 'edge', 'why', 'plugin', 'attempts', 'dead-lettered'], tbody),
        detail,
      ],
    );
    var list = [];
    function selected() {
      return Array.prototype.map.call(tbody.querySelectorAll('input[type=checkbox]:checked'), function (c) {
        return Number(c.value);
      });
    }
    function load() {
      api('GET', 'dead-letters' + qs(Object.assign(ff.value(), { limit: 200 }))).then(
        function (r) {
          // What is ticked when the answer arrives (not when it was asked for): a box ticked meanwhile stays ticked.
          var keep = new Set(selected());
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

  HS.views['dead-letters'] = deadLettersView;
})(window.HS);
