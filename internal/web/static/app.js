// Progressive enhancement only: every page works without this file.
// It shows <time> elements in the reader's own time zone (the server writes
// UTC), each with its zone, keeps the UTC text as a tooltip, and says so in
// the footer, so a page never claims UTC while showing local times.
(function () {
  "use strict";
  var fmt, zone;
  try {
    fmt = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  var changed = 0;
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
    changed++;
  });
  var note = document.getElementById("tz-note");
  if (note && changed > 0) {
    note.textContent = "Times are in your browser's time zone" + (zone ? " (" + zone + ")" : "") +
      "; hover a time for UTC. Script log times without an offset are the Qlik server's local time.";
  }
})();
