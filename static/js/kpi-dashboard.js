// The KPI dashboard: each canvas fetches its chart's JSON endpoint (data-url) and draws it
// with Chart.js; the same figures go into a table below it. No inline script (CSP).
(function () {
  "use strict";
  var COLOURS = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754", "#6c757d"];

  function col(data, name) { return data.columns.indexOf(name); }
  function pick(data, name) {
    var i = col(data, name);
    return data.rows.map(function (r) { return r[i]; });
  }

  function table(container, data) {
    var t = document.createElement("table");
    t.className = "table table-sm small mb-0";
    var head = t.createTHead().insertRow();
    data.columns.forEach(function (c) {
      var th = document.createElement("th");
      th.textContent = c.replace(/_/g, " ");
      head.appendChild(th);
    });
    var body = t.createTBody();
    data.rows.forEach(function (r) {
      var tr = body.insertRow();
      r.forEach(function (v) { tr.insertCell().textContent = v === null ? "—" : String(v); });
    });
    container.replaceChildren(t);
  }

  function config(name, data) {
    var bar = function (labels, sets, extra) {
      return {
        type: "bar",
        data: {
          labels: labels,
          datasets: sets.map(function (s, i) {
            return {label: s[0], data: s[1], backgroundColor: COLOURS[i % COLOURS.length]};
          })
        },
        options: Object.assign({maintainAspectRatio: false, animation: false,
          scales: {y: {beginAtZero: true}}}, extra || {})
      };
    };
    if (name === "engagement") {
      var labels = data.rows.map(function (r) { return "#" + r[0] + " " + r[2]; });
      var stacked = {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}};
      return bar(labels, [["likes", pick(data, "likes")], ["reposts", pick(data, "reposts")],
        ["replies", pick(data, "replies")], ["quotes", pick(data, "quotes")]], stacked);
    }
    if (name === "categories") {
      return bar(pick(data, "category"), [["average engagement", pick(data, "average")],
        ["posts", pick(data, "posts")]]);
    }
    if (name === "rate") {
      return bar(pick(data, "channel"), [["engagement per follower (%)", pick(data, "rate_percent")]]);
    }
    if (name === "times") {
      var when = data.rows.map(function (r) { return r[0] + " " + String(r[1]).padStart(2, "0") + "h"; });
      return bar(when, [["average engagement", pick(data, "average")]]);
    }
    if (name === "cadence") {
      return bar(pick(data, "channel"), [["posts per week", pick(data, "per_week")],
        ["longest gap (days)", pick(data, "longest_gap_days")]]);
    }
    if (name === "mix") {
      var channels = [], categories = [], values = {};
      data.rows.forEach(function (r) {
        if (channels.indexOf(r[0]) < 0) { channels.push(r[0]); }
        if (categories.indexOf(r[1]) < 0) { categories.push(r[1]); }
        values[r[0] + "|" + r[1]] = r[3];
      });
      return bar(channels, categories.map(function (c) {
        return [c + " %", channels.map(function (ch) { return values[ch + "|" + c] || 0; })];
      }), {indexAxis: "y", scales: {x: {stacked: true, max: 100}, y: {stacked: true}}});
    }
    return bar(pick(data, "channel"), [["median hours", pick(data, "median_hours")],
      ["90th percentile hours", pick(data, "p90_hours")]]);
  }

  function draw(canvas) {
    var name = canvas.getAttribute("data-chart");
    var card = canvas.closest(".card-body");
    fetch(canvas.getAttribute("data-url"), {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        if (!res.ok) { throw new Error(res.body && res.body.detail || "error"); }
        var data = res.body;
        table(card.querySelector(".kpi-table"), data);
        if (!data.rows.length) { card.querySelector(".kpi-empty").classList.remove("d-none"); }
        if (typeof Chart !== "undefined") { new Chart(canvas, config(name, data)); }
        canvas.setAttribute("data-loaded", String(data.rows.length));
      })
      .catch(function (e) {
        var p = card.querySelector(".kpi-empty");
        p.textContent = "This chart could not load: " + e.message;
        p.classList.remove("d-none");
        canvas.setAttribute("data-loaded", "error");
      });
  }

  function summary(box) {
    fetch(box.getAttribute("data-url"), {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var s = data.summary;
        var items = [["Published", s.published], ["Engagement", s.engagement],
          ["Per post", s.average_engagement], ["Followers", s.followers],
          ["Rate per follower", s.engagement_rate_percent === null ? null : s.engagement_rate_percent + "%"],
          ["Median approval lead time", s.median_lead_time_hours === null ? null : s.median_lead_time_hours + " h"]];
        box.replaceChildren.apply(box, items.map(function (it) {
          var div = document.createElement("div");
          div.className = "col-6 col-md-4 col-xl-2";
          var card = document.createElement("div");
          card.className = "border rounded p-2 h-100";
          var v = document.createElement("div");
          v.className = "kpi-summary-figure";
          v.textContent = it[1] === null || it[1] === undefined ? "—" : String(it[1]);
          var l = document.createElement("div");
          l.className = "small text-body-secondary";
          l.textContent = it[0];
          card.append(v, l);
          div.appendChild(card);
          return div;
        }));
        box.setAttribute("data-loaded", "1");
      });
  }

  var box = document.getElementById("kpi-summary");
  if (box) { summary(box); }
  document.querySelectorAll("canvas[data-url]").forEach(draw);
})();
