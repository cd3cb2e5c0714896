/* Site script of the built-in renderer: no dependencies, no network.
 *
 * 1. Every table.sortable sorts by a click on a column header: numbers as
 *    numbers (percent signs, thousands separators, the minus sign U+2212 and a
 *    leading "<" understood), text in locale order; a second click reverses.
 *    Empty cells and the em dash (no value) always sort last. A cell's
 *    data-sort-value (or data-value) attribute, when present, is used
 *    instead of its text.
 *    The sorted header carries aria-sort="ascending" / "descending".
 * 2. The table of contents (.toc) marks the section in view.
 */
(function () {
  "use strict";

  var MISSING = /^(|\u2014|-|n\/a|nan)$/i;

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-sort-value");
    if (v === null) v = cell.getAttribute("data-value");
    return (v === null ? cell.textContent : v).trim();
  }

  function asNumber(text) {
    var t = text.replace(/\u2212/g, "-").replace(/[,\s%]/g, "").replace(/^[<>]=?/, "");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
    return parseFloat(t);
  }

  function compare(a, b) {
    var na = asNumber(a), nb = asNumber(b);
    if (na !== null && nb !== null) return na - nb;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortBy(table, index, th) {
    var tbody = table.tBodies[0];
    if (!tbody) return;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(tbody.rows).map(function (row, i) {
      return { row: row, value: cellValue(row, index), i: i };
    });
    rows.sort(function (x, y) {
      var mx = MISSING.test(x.value), my = MISSING.test(y.value);
      if (mx || my) return mx === my ? x.i - y.i : (mx ? 1 : -1);
      var c = compare(x.value, y.value);
      return (ascending ? c : -c) || x.i - y.i;
    });
    rows.forEach(function (r) { tbody.appendChild(r.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    if (!table.tHead || !table.tHead.rows.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      if (th.querySelector("button")) return;
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  }

  function tocSpy() {
    var links = document.querySelectorAll(".toc a[href^='#']");
    if (!links.length || !("IntersectionObserver" in window)) return;
    var byId = {};
    Array.prototype.forEach.call(links, function (a) {
      byId[decodeURIComponent(a.getAttribute("href").slice(1))] = a;
    });
    var current = null;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        var link = byId[entry.target.id];
        if (!link) return;
        if (current) current.classList.remove("active");
        link.classList.add("active");
        current = link;
      });
    }, { rootMargin: "-10% 0px -80% 0px" });
    Object.keys(byId).forEach(function (id) {
      var heading = document.getElementById(id);
      if (heading) observer.observe(heading);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    tocSpy();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
