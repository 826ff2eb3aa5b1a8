// Live training dashboard: polls the JSON endpoint, redraws KPI tiles, tables and charts.
// Every chart has its numbers in a <details> table too; the page works without JavaScript.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var labels = root.querySelector("[data-label-rate]").dataset;
  var charts = {};
  var sortState = { column: 0, descending: false };
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "vi");

  function cell(tag, text, className) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (className) { el.className = className; }
    return el;
  }

  function fillTable(name, rows) {
    var body = root.querySelector('[data-table="' + name + '"]');
    body.replaceChildren.apply(body, rows);
  }

  function pairRows(items, labelKey, valueOf) {
    return items.map(function (item) {
      var tr = document.createElement("tr");
      tr.append(cell("td", item[labelKey]), cell("td", valueOf(item), "text-end"));
      return tr;
    });
  }

  function unitRows(units) {
    if (!units.length) {
      var empty = document.createElement("tr");
      var td = cell("td", labels.labelEmpty, "text-body-secondary");
      td.colSpan = 7;
      empty.append(td);
      return [empty];
    }
    return units.map(function (u) {
      var tr = document.createElement("tr");
      var name = cell("th", u.name);
      name.scope = "row";
      name.dataset.value = u.name;
      tr.append(name);
      [["learners", ""], ["enrolled", ""], ["completed", ""], ["completion_rate", "%"],
       ["overdue", ""], ["average_score", "%"]].forEach(function (spec) {
        var value = u[spec[0]];
        var td = cell("td", value === null ? "—" : numberFormat.format(value) + spec[1], "text-end");
        td.dataset.value = value === null ? -1 : value;
        tr.append(td);
      });
      return tr;
    });
  }

  function sortUnits() {
    var body = root.querySelector('[data-table="units"]');
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > 1; });
    var col = sortState.column;
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;
      var result = col === 0 ? x.localeCompare(y, "vi") : parseFloat(x) - parseFloat(y);
      return sortState.descending ? -result : result;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    root.querySelectorAll("#unit-table th").forEach(function (th, i) {
      if (i === col) { th.setAttribute("aria-sort", sortState.descending ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
  }

  function drawChart(id, type, chartLabels, values, label) {
    if (typeof Chart === "undefined") { return; }
    if (charts[id]) {
      charts[id].data.labels = chartLabels;
      charts[id].data.datasets[0].data = values;
      charts[id].update();
      return;
    }
    charts[id] = new Chart(document.getElementById(id), {
      type: type,
      data: { labels: chartLabels, datasets: [{ label: label, data: values, backgroundColor: "#a4161a",
        borderColor: "#7a0f12", borderWidth: 1, pointStyle: "rectRot", pointRadius: 5 }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: true } }, scales: { y: { beginAtZero: true } } }
    });
  }

  function render(data) {
    root.querySelectorAll("[data-kpi]").forEach(function (el) {
      var value = data.kpis[el.dataset.kpi];
      el.textContent = value === null || value === undefined ? "—" : numberFormat.format(value) + el.dataset.suffix;
    });
    root.querySelector("[data-updated]").textContent = data.generated_at.slice(11, 19);
    fillTable("units", unitRows(data.units));
    sortUnits();
    fillTable("rate", pairRows(data.units, "name", function (u) { return u.completion_rate + "%"; }));
    fillTable("weekly", pairRows(data.weekly, "week", function (w) { return w.completed; }));
    fillTable("scores", pairRows(data.scores, "range", function (s) { return s.count; }));
    drawChart("chart-rate", "bar", data.units.map(function (u) { return u.name; }),
      data.units.map(function (u) { return u.completion_rate; }), labels.labelRate);
    drawChart("chart-weekly", "line", data.weekly.map(function (w) { return w.week; }),
      data.weekly.map(function (w) { return w.completed; }), labels.labelWeekly);
    drawChart("chart-scores", "bar", data.scores.map(function (s) { return s.range; }),
      data.scores.map(function (s) { return s.count; }), labels.labelScores);
  }

  function refresh() {
    fetch(root.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* keep the last figures; try again at the next tick */ });
  }

  root.querySelectorAll("[data-sort]").forEach(function (button) {
    button.addEventListener("click", function () {
      var column = parseInt(button.dataset.sort, 10);
      sortState.descending = sortState.column === column ? !sortState.descending : column !== 0;
      sortState.column = column;
      sortUnits();
    });
  });

  refresh();
  var seconds = parseInt(root.dataset.refresh, 10) || 20;
  setInterval(function () { if (!document.hidden) { refresh(); } }, seconds * 1000);
})();
