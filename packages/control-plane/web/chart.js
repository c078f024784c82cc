// A small line chart on a canvas: a few series over time, a y axis from 0 to a rounded maximum, a legend.
(function () {
  'use strict';
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 4 ? 4 : m <= 8 ? 8 : 10) * p;
  }
  function fmt(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    return String(Math.round(v * 100) / 100);
  }
  /**
   * canvas: the element; times: Unix ms per point; series: [{ label, color, values }]; spanMs: the window shown.
   */
  function draw(canvas, times, series, spanMs, unit) {
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || 600;
    var h = canvas.clientHeight || 160;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    var left = 46,
      right = 8,
      top = 22,
      bottom = 18;
    var pw = w - left - right,
      ph = h - top - bottom;
    var now = times.length ? times[times.length - 1] : Date.now();
    var t0 = now - spanMs;
    var max = 0;
    series.forEach(function (s) {
      s.values.forEach(function (v, i) {
        if (times[i] >= t0 && v > max) max = v;
      });
    });
    max = niceMax(max);
    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#e3e6ea';
    g.fillStyle = '#6b7280';
    g.lineWidth = 1;
    for (var k = 0; k <= 4; k++) {
      var y = top + ph - (ph * k) / 4;
      g.beginPath();
      g.moveTo(left, Math.round(y) + 0.5);
      g.lineTo(left + pw, Math.round(y) + 0.5);
      g.stroke();
      g.textAlign = 'right';
      g.fillText(fmt((max * k) / 4), left - 6, y + 4);
    }
    g.textAlign = 'left';
    g.fillText('-' + Math.round(spanMs / 60000) + ' min', left, h - 4);
    g.textAlign = 'right';
    g.fillText('now', left + pw, h - 4);
    series.forEach(function (s) {
      g.strokeStyle = s.color;
      g.lineWidth = 1.6;
      g.beginPath();
      var started = false;
      s.values.forEach(function (v, i) {
        if (times[i] < t0) return;
        var x = left + ((times[i] - t0) / spanMs) * pw;
        var y = top + ph - (v / max) * ph;
        if (started) g.lineTo(x, y);
        else {
          g.moveTo(x, y);
          started = true;
        }
      });
      g.stroke();
    });
    var lx = left;
    g.textAlign = 'left';
    series.forEach(function (s) {
      var last = s.values.length ? s.values[s.values.length - 1] : 0;
      var text = s.label + ' ' + fmt(last) + (unit ? ' ' + unit : '');
      g.fillStyle = s.color;
      g.fillRect(lx, 7, 10, 3);
      g.fillStyle = '#374151';
      g.fillText(text, lx + 14, 12);
      lx += g.measureText(text).width + 30;
    });
  }
  window.hsChart = { draw: draw };
})();
