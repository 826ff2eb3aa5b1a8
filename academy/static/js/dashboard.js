// Live training dashboard: polls the JSON endpoint, redraws the KPI tiles, the early warnings, the
// ranked units, the tables and the charts. The server renders the same page in full, so it reads
// without JavaScript: the tables are open then; with charts drawn, they fold under their charts.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var labels = root.querySelector("[data-labels]").dataset;
  var charts = {};
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "vi");

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function number(value) { return value === null || value === undefined ? "—" : numberFormat.format(value); }
  function percent(value) { return value === null || value === undefined ? "—" : numberFormat.format(value) + "%"; }
  function fill(selector, nodes) {
    var target = root.querySelector(selector);
    if (target) { target.replaceChildren.apply(target, nodes); }
  }
  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return values[key]; });
  }

  function unitItem(u) {
    var li = el("li", null, "border-top py-2");
    var head = el("div", null, "d-flex justify-content-between gap-2");
    var link = el("a", u.label);
    link.href = root.dataset.matrixUrl + "?unit=" + encodeURIComponent(u.unit_id);
    head.append(link, el("span", percent(u.completion_rate), "fw-semibold text-nowrap"));
    var bar = el("div", null, "progress my-1");
    bar.setAttribute("aria-hidden", "true");
    bar.append(el("div", null, "progress-bar bg-academy w-pct-" + Math.round((u.completion_rate || 0) / 5) * 5));
    var detail = el("span", format(labels.labelDone, {
      done: number(u.completed), enrolled: number(u.enrolled), overdue: number(u.overdue)
    }), "small text-body-secondary");
    li.append(head, bar, detail);
    return li;
  }

  function unitItems(units) {
    return units.length ? units.map(unitItem) : [el("li", labels.labelEmpty, "text-body-secondary")];
  }

  function transcriptUrl(userId) {
    return root.dataset.transcriptUrl.replace(/\/0\/transcript$/, "/" + encodeURIComponent(userId) + "/transcript");
  }

  function warningItems(entries) {
    if (!entries.length) { return [el("li", labels.labelNoWarnings, "text-body-secondary")]; }
    return entries.map(function (w) {
      var li = el("li", null, "border-top py-2");
      var name = el("a", w.full_name, "fw-semibold");
      name.href = transcriptUrl(w.user_id);
      var line = w.course_title + " · " + labels.labelDue + " " + w.due + " — " + w.reasons.join("; ");
      li.append(name, document.createTextNode(" "), el("span", w.unit, "small text-body-secondary"),
        el("br"), el("span", line, "small"));
      return li;
    });
  }

  function rows(items, cells) {
    return items.map(function (item) {
      var tr = document.createElement("tr");
      cells(item).forEach(function (text, i) { tr.append(el("td", text, i ? "text-end" : "text-nowrap")); });
      return tr;
    });
  }

  function drawChart(id, config) {
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update();
    } else {
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
        locale: document.documentElement.lang || "vi", plugins: { legend: { display: true } } }, config.options);
      charts[id] = new Chart(document.getElementById(id), config);
    }
  }

  function drawCharts(data) {
    if (typeof Chart === "undefined") { return; }
    drawChart("chart-trend", {
      type: "bar",
      data: { labels: data.weekly.map(function (w) { return w.label; }), datasets: [
        { type: "line", label: labels.labelShare, yAxisID: "share", borderColor: "#0a4fb5",
          backgroundColor: "#0a4fb5", pointStyle: "rectRot", pointRadius: 5,
          data: data.weekly.map(function (w) { return w.complete_share; }) },
        { type: "bar", label: labels.labelWeekly, yAxisID: "count", backgroundColor: "#a4161a",
          data: data.weekly.map(function (w) { return w.completed; }) }
      ] },
      options: { scales: { count: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
        share: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } }
    });
    drawChart("chart-scores", {
      type: "bar",
      data: { labels: data.scores.map(function (s) { return s.range; }), datasets: [
        { label: labels.labelScores, backgroundColor: "#a4161a", data: data.scores.map(function (s) { return s.count; }) }
      ] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  function render(data) {
    root.querySelectorAll("[data-kpi]").forEach(function (node) {
      var value = data.kpis[node.dataset.kpi];
      node.textContent = node.dataset.suffix ? percent(value) : number(value);
    });
    root.querySelector("[data-updated]").textContent = data.updated;
    if (data.warnings) { // null while the early-warning list is still being prepared
      root.querySelectorAll("[data-warnings-count]").forEach(function (node) {
        node.textContent = number(data.warnings[node.dataset.warningsCount]);
      });
      fill("[data-warnings]", warningItems(data.warnings.top));
      var pending = root.querySelector("[data-warnings-pending]");
      if (pending) { pending.hidden = true; }
    }
    fill('[data-ranking="top"]', unitItems(data.top));
    fill('[data-ranking="bottom"]', unitItems(data.bottom));
    root.querySelector('[data-ranking-section="bottom"]').hidden = !data.bottom.length;
    root.querySelector("[data-top-heading]").textContent = data.bottom.length ? labels.labelHighest : labels.labelAllUnits;
    fill('[data-table="weekly"]', rows(data.weekly, function (w) {
      return [w.range, number(w.completed), percent(w.complete_share)];
    }));
    fill('[data-table="scores"]', rows(data.scores, function (s) { return [s.range, number(s.count)]; }));
    drawCharts(data);
  }

  function refresh() {
    fetch(root.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* keep the last figures; try again at the next tick */ });
  }

  if (typeof Chart !== "undefined") {
    root.querySelectorAll("[data-chart-box]").forEach(function (box) { box.hidden = false; });
    root.querySelectorAll("details[data-chart-table]").forEach(function (details) { details.open = false; });
  }
  refresh();
  var seconds = parseInt(root.dataset.refresh, 10) || 20;
  setInterval(function () { if (!document.hidden) { refresh(); } }, seconds * 1000);
})();
