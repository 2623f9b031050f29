/* The case page: search the knowledge panel without a page load, and keep what is typed in
   the closing form in this tab's storage until the case is closed (so nothing typed is lost
   to an expired session, whatever its length). Without this script the panel's search is a
   plain GET form and the server keeps a shorter copy of the form on its own. */
(function () {
  "use strict";

  var KEEP_PREFIX = "kb-case-close:";
  var KEPT_FIELDS = ["resolution_code", "notes", "bug_reference"];

  function storage() {
    try { return window.sessionStorage; } catch (err) { return null; }
  }

  function keepClosingForm(form) {
    var store = storage();
    if (!store) { return; }
    var key = KEEP_PREFIX + form.getAttribute("data-keep");
    var save = function () {
      var data = {};
      KEPT_FIELDS.forEach(function (name) {
        var field = form.elements[name];
        if (field) { data[name] = field.value; }
      });
      store.setItem(key, JSON.stringify(data));
    };
    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (err) { saved = null; }
    var notes = form.elements.notes;
    if (saved && notes && (saved.notes || "").length > notes.value.length) {
      KEPT_FIELDS.forEach(function (name) {
        if (form.elements[name] && saved[name] && !form.elements[name].value) { form.elements[name].value = saved[name]; }
      });
      notes.value = saved.notes;
      var note = document.createElement("p");
      note.className = "inline-notice inline-notice-info";
      note.setAttribute("role", "status");
      note.textContent = "Your notes were restored from this browser tab.";
      form.insertBefore(note, form.firstChild);
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
  }

  function forgetClosedCase(el) {
    var store = storage();
    if (store) { store.removeItem(KEEP_PREFIX + el.getAttribute("data-case-closed")); }
  }

  function KnowledgeSearch(form) {
    this.form = form;
    this.url = form.getAttribute("data-knowledge-url");
    this.target = document.getElementById(form.getAttribute("data-knowledge-target"));
    this.status = document.createElement("p");
    this.status.className = "muted knowledge-status";
    this.status.setAttribute("role", "status");
    form.appendChild(this.status);
    this.seq = 0;
    var self = this;
    form.addEventListener("submit", function (e) { e.preventDefault(); self.run(form.elements.kq.value.trim()); });
    this.target.addEventListener("click", function (e) {
      var clear = e.target.closest("[data-knowledge-clear]");
      if (clear) { e.preventDefault(); form.elements.kq.value = ""; self.run(""); form.elements.kq.focus(); }
    });
  }

  KnowledgeSearch.prototype.run = function (kq) {
    var self = this;
    var seq = ++this.seq;
    this.target.setAttribute("aria-busy", "true");
    this.status.textContent = kq ? "Searching…" : "Loading suggestions…";
    window.fetch(this.url + "?kq=" + encodeURIComponent(kq), {
      credentials: "same-origin", headers: { "Accept": "text/html" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      if (seq !== self.seq) { return; }
      self.target.innerHTML = html;
      self.target.removeAttribute("aria-busy");
      var count = self.target.querySelectorAll(".suggestion").length;
      self.status.textContent = kq ? (count ? count + " articles found." : "No article found.") : "";
      var url = new URL(window.location.href);
      if (kq) { url.searchParams.set("kq", kq); } else { url.searchParams.delete("kq"); }
      url.hash = "knowledge";
      window.history.replaceState(null, "", url.toString());
      self.target.querySelectorAll("input[name=kq]").forEach(function (input) { input.value = kq; });
    }).catch(function () {
      if (seq !== self.seq) { return; }
      self.target.removeAttribute("aria-busy");
      self.status.textContent = "The search failed. Press Search to try again.";
    });
  };

  function init() {
    document.querySelectorAll("form[data-keep]").forEach(keepClosingForm);
    document.querySelectorAll("[data-case-closed]").forEach(forgetClosedCase);
    document.querySelectorAll("form[data-knowledge-url]").forEach(function (f) { new KnowledgeSearch(f); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
