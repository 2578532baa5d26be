/* Charts of the admin's front page, drawn with the vendored Chart.js from the figures that the
   page carries in <script type="application/json" id="dashboard-data"> (json_script). Each chart's
   table stays in the page (folded once the chart is drawn), so nothing needs JavaScript to be read. */
(function () {
  "use strict";

  var PAST = "rgba(121, 174, 200, 0.9)";
  var FUTURE = "rgba(65, 118, 144, 0.9)";
  var TODAY = "rgba(235, 137, 49, 0.95)";
  var SERIES = ["#417690", "#eb8931", "#5b8c5a", "#a05195", "#d45087"];
  var STATUS_COLOURS = { pending: "#9e9e9e", sending: "#417690", sent: "#5b8c5a", failed: "#eb8931", dead: "#ba2121" };

  function draw(id, config) {
    var figure = document.getElementById(id);
    if (!figure) { return; }
    var box = figure.querySelector(".chart-box");
    box.hidden = false;
    new window.Chart(box.querySelector("canvas"), config);
    var table = figure.querySelector("details");
    if (table) { table.open = false; }
    figure.classList.add("drawn");
  }

  function dayLabel(iso) {
    var parts = iso.split("-");
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    return date.toLocaleDateString(document.documentElement.lang || undefined, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  }

  function base(extra) {
    var options = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: true } } };
    return Object.assign(options, extra || {});
  }

  function start() {
    var node = document.getElementById("dashboard-data");
    if (!node || !window.Chart) { return; }
    var data = JSON.parse(node.textContent);
    var days = data.sales.by_day;
    var labels = days.map(function (d) { return dayLabel(d.day) + (d.today ? " •" : ""); });
    var currencies = data.sales.currencies;
    var words = (document.getElementById("sales-charts") || { dataset: {} }).dataset;  // in the page's language
    var NET = words.labelNet || "net", GROSS = words.labelGross || "gross";

    draw("chart-occupancy", {
      type: "bar",
      data: { labels: labels, datasets: [{
        label: (words.labelOccupancy || "occupancy") + " %",
        data: days.map(function (d) { return d.occupancy_pct; }),
        backgroundColor: days.map(function (d) { return d.today ? TODAY : (d.past ? PAST : FUTURE); })
      }] },
      options: base({ scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
                      plugins: { legend: { display: false } } })
    });

    var salesSets = [];
    currencies.forEach(function (c, i) {
      salesSets.push({ type: "bar", label: NET + " " + c, data: days.map(function (d) { return parseFloat(d.net[c]); }),
                       backgroundColor: SERIES[i % SERIES.length], yAxisID: i ? "y" + i : "y" });
      salesSets.push({ type: "line", label: GROSS + " " + c, data: days.map(function (d) { return parseFloat(d.gross[c]); }),
                       borderColor: SERIES[(i + 1) % SERIES.length], backgroundColor: SERIES[(i + 1) % SERIES.length],
                       pointRadius: 2, tension: 0.2, yAxisID: i ? "y" + i : "y" });
    });
    var salesScales = {};
    currencies.forEach(function (c, i) {
      salesScales[i ? "y" + i : "y"] = { beginAtZero: true, position: i ? "right" : "left", title: { display: true, text: c } };
    });
    draw("chart-sales-day", { data: { labels: labels, datasets: salesSets }, options: base({ scales: salesScales }) });

    var movies = data.sales.by_movie;
    draw("chart-sales-movie", {
      type: "bar",
      data: { labels: movies.map(function (m) { return m.movie; }),
              datasets: currencies.map(function (c, i) {
                return { label: NET + " " + c, data: movies.map(function (m) { return parseFloat(m.net[c]); }),
                         backgroundColor: SERIES[i % SERIES.length] };
              }) },
      options: base({ indexAxis: "y", scales: { x: { beginAtZero: true } } })
    });

    draw("chart-outbox", {
      type: "doughnut",
      data: { labels: data.outbox.map(function (r) { return r.label + " (" + r.count + ")"; }),
              datasets: [{ data: data.outbox.map(function (r) { return r.count; }),
                           backgroundColor: data.outbox.map(function (r) { return STATUS_COLOURS[r.status] || "#777"; }) }] },
      options: base({ plugins: { legend: { position: "right" } } })
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
