/* kb: progressive enhancement only. Every page works without this file:
   search is a plain GET form, voting a plain POST form, the share link a readonly field. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;

  /* Title suggestions as the user types: the ARIA 1.2 combobox pattern
     (input role=combobox + listbox; arrows move, Enter opens, Escape closes). */
  function Combobox(root) {
    this.root = root;
    this.url = root.getAttribute("data-autocomplete");
    this.input = root.querySelector("input");
    this.listbox = root.querySelector("[role=listbox]");
    this.items = [];
    this.active = -1;
    this.timer = null;
    this.seq = 0;
    this.controller = null;
    this.status = document.createElement("span");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    root.appendChild(this.status);
    var self = this;
    this.input.addEventListener("input", function () { self.schedule(); });
    this.input.addEventListener("keydown", function (e) { self.onKey(e); });
    this.input.addEventListener("blur", function () { setTimeout(function () { self.close(); }, 150); });
    this.listbox.addEventListener("mousedown", function (e) { e.preventDefault(); });
    this.listbox.addEventListener("click", function (e) {
      var li = e.target.closest("[role=option]");
      if (li) { self.go(Number(li.getAttribute("data-index"))); }
    });
  }

  Combobox.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    var value = this.input.value.trim();
    if (value.length < 2) { this.close(); return; }
    this.timer = setTimeout(function () { self.fetch(value); }, DEBOUNCE_MS);
  };

  Combobox.prototype.fetch = function (value) {
    var self = this;
    var seq = ++this.seq;
    if (this.controller) { this.controller.abort(); }
    this.controller = window.AbortController ? new AbortController() : null;
    var sep = this.url.indexOf("?") === -1 ? "?" : "&";
    window.fetch(this.url + sep + "q=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: this.controller ? this.controller.signal : undefined
    }).then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { if (seq === self.seq) { self.show(data.suggestions || []); } })
      .catch(function () { /* aborted or offline: keep the plain form */ });
  };

  Combobox.prototype.show = function (items) {
    this.items = items;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.listbox.textContent = "";
    if (!items.length) { this.close(); return; }
    var prefix = this.listbox.id + "-opt-";
    for (var i = 0; i < items.length; i++) {
      var li = document.createElement("li");
      li.id = prefix + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-index", String(i));
      if (this.root.hasAttribute("data-show-ids")) {  /* staff know articles by id; customers don't */
        var id = document.createElement("span");
        id.className = "option-id";
        id.textContent = items[i].id;
        li.appendChild(id);
      }
      li.appendChild(document.createTextNode(items[i].title));
      this.listbox.appendChild(li);
    }
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.status.textContent = items.length + (items.length === 1 ? " suggestion" : " suggestions") +
      " available. Use the up and down arrows to choose.";
  };

  Combobox.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Combobox.prototype.isOpen = function () { return !this.listbox.hidden; };

  Combobox.prototype.highlight = function (index) {
    var options = this.listbox.querySelectorAll("[role=option]");
    if (!options.length) { return; }
    index = (index + options.length) % options.length;
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    this.active = index;
    this.input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  };

  Combobox.prototype.go = function (index) {
    var item = this.items[index];
    if (item && item.url) { window.location.assign(item.url); }
  };

  Combobox.prototype.onKey = function (e) {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        if (!this.isOpen()) { if (this.items.length) { this.show(this.items); } else { this.schedule(); } return; }
        this.highlight(this.active + 1);
        break;
      case "ArrowUp":
        if (!this.isOpen()) { return; }
        e.preventDefault();
        this.highlight(this.active - 1);
        break;
      case "Enter":
        if (this.isOpen() && this.active >= 0) { e.preventDefault(); this.go(this.active); }
        break;
      case "Escape":
        if (this.isOpen()) { e.preventDefault(); this.close(); }
        break;
      case "Tab":
        this.close();
        break;
    }
  };

  /* "Copy link": the field stays usable without script; the button is revealed only here. */
  function enableCopy(button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { if (status) { status.textContent = "Link copied."; } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      } else {
        input.select();
        try { if (document.execCommand("copy")) { done(); } } catch (err) { /* leave it selected */ }
      }
    });
  }

  /* "Did this answer help?" without leaving the page. Delegated from the document, because
     the contact form and the case page replace their suggestions (and the card) as people type. */
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-answer-feedback]") || !window.fetch) { return; }
    e.preventDefault();
    var data = new FormData(form);
    var button = e.submitter;
    if (button && button.name) { data.set(button.name, button.value); }
    var token = form.querySelector("input[name=csrf_token]");
    var status = form.querySelector(".answer-feedback-status");
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    window.fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": token ? token.value : "" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      form.setAttribute("data-voted", data.get("helpful"));
      Array.prototype.forEach.call(buttons, function (b) { b.hidden = true; });
      status.textContent = data.get("helpful") === "yes" ? "Thanks, glad it helped." :
        "Thanks for telling us. We use this to improve the knowledge base.";
    }).catch(function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      status.textContent = "Your answer could not be saved. Please try again.";
    });
  });

  /* A confirmation or an error shown where the action happened (data-focus-on-load) gets the
     focus, so keyboard and screen-reader users land on it instead of the top of the page. */
  function focusNotice() {
    var target = document.querySelector("[data-focus-on-load]");
    if (!target || document.activeElement === target) { return; }
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }
  /* The browser scrolls to the URL's #fragment after the document loads and may move focus
     then; focusing again once everything has loaded keeps it on the notice. */
  window.addEventListener("load", function () { setTimeout(focusNotice, 0); });

  document.addEventListener("DOMContentLoaded", function () {
    focusNotice();
    Array.prototype.forEach.call(document.querySelectorAll(".combobox[data-autocomplete]"), function (el) {
      new Combobox(el);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".copy-link"), enableCopy);
  });
})();
