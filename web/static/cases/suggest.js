/* Live article suggestions while someone types a ticket.
   A form with data-suggest-url posts its fields there (debounced) and shows the
   server-rendered answer inside the element named by data-suggest-target. Without this
   script the same form's "Find answers" / "Find articles" button does it with a page load.

   The panel always says what state it is in, in its [data-suggest-status] line: looking,
   failed (with "Try again"; the previous suggestions stay visible but marked as out of
   date, since they no longer match the text), or how many were found. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;
  var MIN_CHARS = 3;

  function LiveSuggest(form) {
    this.form = form;
    this.url = form.getAttribute("data-suggest-url");
    this.target = document.getElementById(form.getAttribute("data-suggest-target"));
    this.panel = this.target ? this.target.closest("section") || this.target.parentNode : null;
    this.status = this.panel ? this.panel.querySelector("[data-suggest-status]") : null;
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

  LiveSuggest.prototype.say = function (text, retry, quiet) {
    if (!this.status) { return; }
    var self = this;
    this.status.textContent = text;
    /* A count is for screen readers (the list shows itself); loading and failures are for everyone. */
    this.status.classList.toggle("visually-hidden", !!quiet);
    if (retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = "Try again";
      button.addEventListener("click", function () { self.last = null; self.fetch(); });
      this.status.appendChild(document.createTextNode(" "));
      this.status.appendChild(button);
    }
  };

  LiveSuggest.prototype.setState = function (state) {
    this.form.setAttribute("data-suggest-state", state);
    if (this.panel) { this.panel.setAttribute("data-suggest-state", state); }
    if (this.target) {
      if (state === "loading") { this.target.setAttribute("aria-busy", "true"); }
      else { this.target.removeAttribute("aria-busy"); }
    }
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
    this.setState("loading");
    this.say("Looking for articles…");
    window.fetch(this.url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "text/html", "X-CSRF-Token": token ? token.value : "" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      if (seq !== self.seq) { return; }
      if (self.target) {
        self.target.innerHTML = html;
        self.target.classList.remove("is-stale");
      }
      var count = self.target ? self.target.querySelectorAll(".suggestion").length : 0;
      self.setState("ready");
      self.say(count ? count + (count === 1 ? " article" : " articles") + " may answer this." : "", false, true);
    }).catch(function () {
      if (seq !== self.seq) { return; }
      self.last = null;  // the same text may be tried again
      if (self.target) { self.target.classList.add("is-stale"); }
      self.setState("failed");
      var shown = self.target && self.target.querySelector(".suggestion");
      self.say(shown ? "Couldn’t update the suggestions: the ones below were for your earlier text."
                     : "Couldn’t look for articles just now.", true);
    });
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
