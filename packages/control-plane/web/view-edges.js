// The console's edges view.
(function (HS) {
  'use strict';
  var { S, h, clear, api, errorText, ago, section, grid } = HS;

  // ---------- edges ----------
  var STATE_ORDER = { offline: 0, stale: 1, online: 2 };
  function edgesView() {
    var filter = h('input', { type: 'search', placeholder: 'filter by edge or namespace', id: 'edge-filter' });
    var summary = h('div', { class: 'summary', id: 'edge-summary' });
    var tbody = h('tbody');
    var columns = [
      'edge',
      'namespace',
      'state',
      'last seen',
      'version',
      'config applied / latest',
      'outbox',
      'reconnects',
      'last error',
      '',
    ];
    section('Edges', [summary, filter], [grid('edges', columns, tbody)]);
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
      var act = tr.children[9];
      if (e.state === 'offline' && !act.firstChild) {
        act.appendChild(
          h('button', {
            type: 'button',
            class: 'link-button forget',
            title: 'remove this edge from the registry (it comes back if it beats again)',
            text: 'forget',
            onclick: function () {
              api('POST', 'edges/' + encodeURIComponent(e.edgeId) + '/forget').then(
                function () {},
                function (err) {
                  act.title = errorText(err);
                },
              );
            },
          }),
        );
      } else if (e.state !== 'offline' && act.firstChild) clear(act);
    }
    function row(e) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-edge', e.edgeId);
      for (var i = 0; i < 10; i++) tr.appendChild(document.createElement('td'));
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
          h('tr', null, [h('td', { colspan: '10', class: 'muted', text: 'No edge has reported yet.' })]),
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

  HS.views.edges = edgesView;
})(window.HS);
