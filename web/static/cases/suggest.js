/* Live article suggestions while someone types a ticket.
   A form with data-suggest-url posts its fields there (debounced) and shows the
   server-rendered answer inside the element named by data-suggest-target. Without this
   script the same form's "Find articles" / "Find answers" button does it with a page load. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;
  var MIN_CHARS = 3;

  function LiveSuggest(form) {
    this.form = form;
    this.url = form.getAttribute("data-suggest-url");
    this.target = document.getElementById(form.getAttribute("data-suggest-target"));
    this.timer = null;
    this.seq = 0;
    this.last = null;
    var self = this;
    var inputs = form.querySelectorAll("[data-suggest-input]");
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].addEventListener("input", function () { self.schedule(); });
    }
  }

  LiveSuggest.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.fetch(); }, DEBOUNCE_MS);
  };

  LiveSuggest.prototype.fetch = function () {
    var self = this;
    var data = new FormData(this.form);
    var title = String(data.get("title") || "").trim();
    var description = String(data.get("description") || "").trim();
    var key = title + "\n" + description;
    // A subject is optional: the description alone is enough to suggest articles.
    if ((title.length < MIN_CHARS && description.length < MIN_CHARS) || key === this.last) { return; }
    this.last = key;
    var seq = ++this.seq;
    var token = this.form.querySelector("input[name=csrf_token]");
    this.form.setAttribute("data-suggest-state", "loading");
    window.fetch(this.url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "text/html", "X-CSRF-Token": token ? token.value : "" }
    }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (seq !== self.seq) { return; }
        if (html !== null && self.target) { self.target.innerHTML = html; }
        self.form.setAttribute("data-suggest-state", "ready");
      })
      .catch(function () { self.form.setAttribute("data-suggest-state", "failed"); });
  };

  function init() {
    var forms = document.querySelectorAll("form[data-suggest-url]");
    for (var i = 0; i < forms.length; i++) { new LiveSuggest(forms[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
