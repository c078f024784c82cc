// The console's replay view.
(function (HS) {
  'use strict';
  var { S, h, clear, api, notice, errorText, section, filterForm } = HS;

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
    section(
      'Replay',
      [
        h('span', {
          class: 'muted',
          text: 'offers stored payloads again, each as a copy with a new id that says it is a replay',
        }),
      ],
      [
        ff.form,
        out,
        h('div', { class: 'card' }, [h('div', { class: 'progress-row' }, [bar, cancel]), stats, failures]),
      ],
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

  HS.views.replay = replayView;
})(window.HS);
