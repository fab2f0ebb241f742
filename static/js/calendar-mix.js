// The calendar's content-mix panel: each channel's share per category for the visible range,
// from GET /api/brands/{slug}/mix/, redrawn whenever the calendar's range changes.
(function () {
  "use strict";
  var panel = document.getElementById("mix-panel");
  var cal = document.getElementById("calendar");
  if (!panel || !cal) { return; }
  var rows = panel.querySelector(".mix-rows");
  var COLOURS = {promotional: "#dc3545", engagement: "#0d6efd", user_generated: "#20c997",
    support: "#6f42c1", news: "#fd7e14"};

  function render(channels) {
    rows.replaceChildren.apply(rows, channels.map(function (ch) {
      var col = document.createElement("div");
      col.className = "col-12 col-md-6 col-xl-4";
      col.setAttribute("data-testid", "mix-channel");
      col.setAttribute("data-over", ch.over ? "1" : "0");
      var head = document.createElement("div");
      head.className = "d-flex justify-content-between";
      var name = document.createElement("span");
      name.textContent = ch.handle + " · " + ch.total + " post" + (ch.total === 1 ? "" : "s");
      head.appendChild(name);
      if (ch.over) {
        var badge = document.createElement("span");
        badge.className = "badge text-bg-danger";
        badge.textContent = "over target";
        head.appendChild(badge);
      }
      var bar = document.createElement("div");
      bar.className = "mix-bar";
      var legend = document.createElement("div");
      legend.className = "text-body-secondary";
      var parts = [];
      ch.categories.forEach(function (c) {
        if (!c.count) { return; }
        var seg = document.createElement("span");
        seg.style.width = c.percent + "%";
        seg.style.background = COLOURS[c.category] || "#6c757d";
        seg.title = c.label + " " + c.percent + "%";
        bar.appendChild(seg);
        parts.push(c.label + " " + c.percent + "%" +
          (c.max_percent !== null ? " (target ≤ " + c.max_percent + "%)" : ""));
      });
      legend.textContent = parts.length ? parts.join(" · ") : "Nothing planned.";
      col.append(head, bar, legend);
      return col;
    }));
  }

  cal.addEventListener("calendar:range", function (event) {
    var url = panel.getAttribute("data-url") + "?start=" + encodeURIComponent(event.detail.start) +
      "&end=" + encodeURIComponent(event.detail.end);
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(render)
      .catch(function () { rows.textContent = "The mix could not load."; });
  });
})();
