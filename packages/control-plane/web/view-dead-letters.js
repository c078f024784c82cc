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
    // Everything the filter matches (not only the rows shown), after a confirmation naming what and how.
    var redriveAllBtn = h('button', { type: 'button', id: 'redrive-all', text: 'Redrive all matching' });
    var dropAllBtn = h('button', { type: 'button', id: 'drop-all', class: 'danger', text: 'Drop all matching' });
    var confirmAll = h('button', { type: 'button', id: 'confirm-all', class: 'danger', hidden: true, text: '' });
    var pendingAll = '';
    section(
      'Dead letters',
      [
        h('span', { class: 'muted', id: 'dlq-count' }),
        redriveBtn,
        dropBtn,
        confirmDrop,
        redriveAllBtn,
        dropAllBtn,
        confirmAll,
      ],
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
    function filterBody() {
      var v = ff.value();
      var f = {};
      Object.keys(v).forEach(function (k) {
        if (v[k] !== '' && v[k] !== undefined) f[k] = v[k];
      });
      return f;
    }
    function act(what, everything) {
      var body;
      if (everything) body = { all: true, confirm: 'all', filter: filterBody() };
      else {
        var seqs = selected();
        if (seqs.length === 0) return notice(out, 'Select dead letters first.', 'error');
        body = { seqs: seqs };
      }
      confirmDrop.hidden = true;
      confirmAll.hidden = true;
      api('POST', 'dead-letters/' + what, body).then(
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
    function askAll(what) {
      var f = filterBody();
      var n = Object.keys(f).length;
      pendingAll = what;
      confirmAll.textContent =
        'Really ' + what + ' every dead letter' + (n ? ' matching the filter' : ', with no filter') + '?';
      confirmAll.hidden = false;
      confirmDrop.hidden = true;
    }
    redriveAllBtn.addEventListener('click', function () {
      askAll('redrive');
    });
    dropAllBtn.addEventListener('click', function () {
      askAll('drop');
    });
    confirmAll.addEventListener('click', function () {
      act(pendingAll, true);
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
