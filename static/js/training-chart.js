// The "questions people miss most" bar chart on the training home page. Its figures come
// from the json_script block #missed-data; the same figures are in the table below it.
(function () {
  "use strict";
  var source = document.getElementById("missed-data");
  var canvas = document.getElementById("missed-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {label: "Missed", data: data.missed, backgroundColor: "#dc3545"},
        {label: "Answered", data: data.answered, backgroundColor: "#adb5bd"}
      ]
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      scales: {x: {beginAtZero: true, ticks: {precision: 0}}}
    }
  });
})();
