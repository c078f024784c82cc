// Loaded by the console in front of every plugin page (a sandboxed frame with an opaque origin and no network):
// window.hubspoke.rpc(method, payload) asks the console page, which calls POST /api/plugins/<name>/rpc/<method>.
(function () {
  'use strict';
  var next = 1;
  var waiting = new Map();
  window.addEventListener('message', function (e) {
    if (e.source !== window.parent) return;
    var m = e.data;
    if (!m || m.hs !== 'rpc-reply' || !waiting.has(m.id)) return;
    var w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.result);
    else {
      var err = new Error(m.error && m.error.message ? m.error.message : 'rpc failed');
      err.code = m.error && m.error.code;
      err.status = m.status;
      w.reject(err);
    }
  });
  window.hubspoke = Object.freeze({
    rpc: function (method, payload) {
      return new Promise(function (resolve, reject) {
        var id = next++;
        waiting.set(id, { resolve: resolve, reject: reject });
        window.parent.postMessage({ hs: 'rpc', id: id, method: String(method), payload: payload }, '*');
      });
    },
  });
})();
