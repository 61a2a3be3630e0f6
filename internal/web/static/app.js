// Progressive enhancement only: every page works without this file.
// It shows <time> elements in the reader's own time zone (the server writes
// UTC) and keeps the UTC text as a tooltip.
(function () {
  "use strict";
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  } catch (e) {
    return;
  }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var iso = el.getAttribute("datetime");
    if (!iso || iso.indexOf("0001-01-01") === 0 || el.textContent.indexOf("UTC") < 0) {
      return; // zero times ("never") and relative texts stay as they are
    }
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return;
    }
    el.title = el.textContent;
    el.textContent = fmt.format(d);
  });
})();
