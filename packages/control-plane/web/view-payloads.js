// The console's payloads view.
(function (HS) {
  'use strict';
  var { h, clear, api, qs, notice, errorText, time, section, grid, filterForm } = HS;

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
      h('h3', { text: 'Payload ' + p.id + (p.redriven ? ' (redriven from the dead letters)' : '') }),
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
    section(
      'Payloads',
      [h('span', { class: 'muted', text: 'as the hub keeps them (the replay window)' })],
      [
        ff.form,
        out,
        grid('payloads', ['seq', 'id', 'edge', 'correlation id', 'received', 'size'], tbody),
        more,
        detail,
      ],
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
    var searches = 0;
    function search(append) {
      var f = ff.value();
      f.limit = 100;
      f.afterSeq = append ? lastSeq : 0;
      // A new search clears the table at once, and the answer of an older one that arrives later is ignored.
      var mine = ++searches;
      if (!append) clear(tbody);
      api('GET', 'payloads' + qs(f)).then(
        function (r) {
          if (mine !== searches) return;
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
                  h('td', { class: 'mono', text: p.id + (p.redriven ? ' (redriven)' : '') }),
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

  HS.payloadDetails = payloadDetails;
  HS.views.payloads = payloadsView;
})(window.HS);
