// The pickers of templates/pickers.html. A period picker's kind, year and part selects fill its one
// text box (the text each option carries in data-text, "{y}" the year and "{p}" the year before); the
// box stays the field the form submits, so the page works the same without this script. A unit
// picker's filter box narrows its select to the units whose name, full pinyin or pinyin initials
// (data-keys) contain what is typed, keeps their parents in view and selects the first match.
(function () {
  "use strict";
  if (window.renkouPickers) { return; }
  window.renkouPickers = true;

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function periodPicker(box) {
    var text = box.querySelector(".pk-text"), kind = box.querySelector(".pk-kind"), year = box.querySelector(".pk-year");
    var parts = box.querySelectorAll(".pk-part"), now = box.querySelector(".pk-now");
    if (!text || !kind || !year) { return; }
    box.querySelector(".pk-selects").hidden = false;
    function partOf(k) {
      for (var i = 0; i < parts.length; i++) { if (parts[i].getAttribute("data-kind") === k) { return parts[i]; } }
      return null;
    }
    function fill() {
      var part = partOf(kind.value);
      each(parts, function (p) { p.hidden = p !== part; });
      var chosen = part ? part.options[part.selectedIndex] : kind.options[kind.selectedIndex];
      var y = parseInt(year.value, 10);
      text.value = chosen.getAttribute("data-text").replace("{y}", String(y)).replace("{p}", String(y - 1));
      text.removeAttribute("aria-invalid");
      if (now) { now.hidden = true; }
    }
    if (!text.value && text.required) { fill(); }  // a required box starts with what the selects show
    kind.addEventListener("change", fill);
    year.addEventListener("change", fill);
    each(parts, function (p) { p.addEventListener("change", fill); });
  }

  function unitPicker(box) {
    var filter = box.querySelector(".pk-filter"), select = box.querySelector(".pk-units"), count = box.querySelector(".pk-count");
    if (!filter || !select) { return; }
    filter.hidden = false;
    var opts = Array.prototype.slice.call(select.options);
    var keys = opts.map(function (o) { return (o.getAttribute("data-keys") || o.text).toLowerCase().split(/\s+/); });
    var depth = opts.map(function (o) { return parseInt(o.getAttribute("data-depth") || "0", 10); });
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase().replace(/\s+/g, "");
      var shown = {}, first = null, n = 0;
      opts.forEach(function (o, i) {
        var hit = !q || keys[i].some(function (k) { return k.indexOf(q) >= 0; });
        if (!hit) { return; }
        shown[i] = true;
        n += 1;
        if (first === null) { first = o; }
        for (var j = i - 1, d = depth[i]; j >= 0 && d > 0; j--) {  // the units above it, for context
          if (depth[j] < d) { shown[j] = true; d = depth[j]; }
        }
      });
      opts.forEach(function (o, i) { o.hidden = !shown[i]; });
      if (first !== null) { select.value = first.value; }
      if (count) {
        count.textContent = !q ? "" : n ? count.getAttribute("data-found").replace("{n}", String(n)) : count.getAttribute("data-none");
      }
    });
    filter.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); select.focus(); }  // Enter picks the match; the form's button submits
    });
  }

  function start() {
    each(document.querySelectorAll("[data-picker=period]"), periodPicker);
    each(document.querySelectorAll("[data-picker=unit]"), unitPicker);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
