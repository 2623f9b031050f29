/* kb live preview: reload the page when its article file changes on disk.
   Polls the page's version URL (the file's content hash); no inline script, so the
   Content-Security-Policy stays strict. Stops polling while the tab is hidden. */
(function () {
  "use strict";

  function start(root) {
    var url = root.getAttribute("data-version-url");
    var version = root.getAttribute("data-version");
    var every = Number(root.getAttribute("data-poll-ms")) || 1000;
    var busy = false;

    function check() {
      if (busy || document.hidden) { return; }
      busy = true;
      window.fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          busy = false;
          if (data && data.version !== version) { window.location.reload(); }
        })
        .catch(function () { busy = false; /* server restarting: try again next tick */ });
    }

    window.setInterval(check, every);
    document.addEventListener("visibilitychange", check);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-version-url]");
    if (root && window.fetch) { start(root); }
  });
})();
