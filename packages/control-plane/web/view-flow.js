// The console's flow view.
(function (HS) {
  'use strict';
  var { S, h, clear, section } = HS;

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
    var cards = h('div', { class: 'charts' });
    charts.forEach(function (c) {
      c.canvas = h('canvas', { id: c.id, class: 'chart' });
      cards.appendChild(h('div', { class: 'card' }, [h('h3', { text: c.title }), c.canvas]));
    });
    section(
      'Flow',
      [h('span', { class: 'muted', text: 'sampled every second at this control plane' }), picker],
      [now, cards],
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

  HS.views.flow = flowView;
})(window.HS);
