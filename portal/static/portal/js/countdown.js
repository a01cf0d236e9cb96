// Live countdown to a deadline. The server renders the remaining time; this only keeps it ticking.
// Markup: <span data-countdown="ISO-8601" data-label-days="days" data-label-closed="Closed">…</span>
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }
  function tick(el) {
    var ms = Date.parse(el.dataset.countdown) - Date.now();
    if (isNaN(ms)) { return; }
    if (ms <= 0) { el.textContent = el.dataset.labelClosed || ""; return; }
    var s = Math.floor(ms / 1000);
    var days = Math.floor(s / 86400);
    var rest = pad(Math.floor((s % 86400) / 3600)) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    el.textContent = days + " " + (el.dataset.labelDays || "d") + " " + rest;
  }
  function start() {
    var els = document.querySelectorAll("[data-countdown]");
    if (!els.length) { return; }
    els.forEach(tick);
    setInterval(function () { els.forEach(tick); }, 1000);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
