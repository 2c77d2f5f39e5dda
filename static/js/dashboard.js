/* Dashboards: draws the ECharts charts of a page from its JSON data endpoint.
 * The page holds <div id="dashboard" data-source="..."> and chart boxes <div data-chart="trend|map|
 * regions|breakdown|history">. Every chart also has a table in the page, so nothing here is the only
 * way to read a figure. No inline script (the portal will get a Content-Security-Policy). */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || typeof echarts === "undefined") { return; }
  var lang = (document.documentElement.lang || "vi").slice(0, 2);
  var numberFormat = new Intl.NumberFormat(lang === "en" ? "en-GB" : "vi-VN", { maximumFractionDigits: 2 });
  function fmt(v) { return v === null || v === undefined ? "—" : numberFormat.format(v); }
  var GREEN = "#0b5d3b";
  var charts = [];

  function make(el, option) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    option.aria = { enabled: true };
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  function line(el, rows, name) {
    make(el, {
      grid: { left: 70, right: 20, top: 20, bottom: 30 },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: { type: "category", data: rows.map(function (r) { return String(r[0]); }) },
      yAxis: { type: "value", axisLabel: { formatter: fmt } },
      series: [{ name: name, type: "line", data: rows.map(function (r) { return r[1]; }), itemStyle: { color: GREEN }, areaStyle: { opacity: 0.08 } }]
    });
  }

  function bars(el, rows, horizontal) {
    var labels = rows.map(function (r) { return r.label; });
    var values = rows.map(function (r) { return { value: r.value, url: r.url }; });
    var category = { type: "category", data: labels, axisLabel: { width: 160, overflow: "truncate" } };
    var value = { type: "value", axisLabel: { formatter: fmt } };
    var chart = make(el, {
      grid: { left: horizontal ? 170 : 70, right: 20, top: 10, bottom: horizontal ? 30 : 80 },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: horizontal ? value : Object.assign(category, { axisLabel: { rotate: 30, width: 110, overflow: "truncate" } }),
      yAxis: horizontal ? Object.assign(category, { inverse: true }) : value,
      series: [{ type: "bar", data: values, itemStyle: { color: GREEN } }]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
  }

  // Tile grid: one square per unit at its (col, row), shaded by value (grey: no value).
  function tileMap(el, map) {
    var values = map.tiles.map(function (t) { return t.value; }).filter(function (v) { return v !== null; });
    var max = Math.max.apply(null, values.concat([0]));
    var min = Math.min.apply(null, values.concat([max]));
    function shade(v) {
      if (v === null) { return "#e9ecef"; }
      var t = max > min ? (v - min) / (max - min) : 1;
      var light = [217, 240, 227], dark = [11, 93, 59];
      var c = light.map(function (l, i) { return Math.round(l + (dark[i] - l) * t); });
      return "rgb(" + c.join(",") + ")";
    }
    // Squares as wide as the box allows (at most 56 px); the box grows to the grid's height.
    var cell = Math.min(Math.floor(el.clientWidth / map.columns), 56);
    el.style.height = (cell * map.rows) + "px";
    var size = cell - 3;
    var data = map.tiles.filter(function (t) { return t.col !== null; }).map(function (t) {
      var bright = t.value !== null && max > min && (t.value - min) / (max - min) > 0.5;
      return {
        value: [t.col, t.row], name: t.name, url: t.url, figure: t.value,
        itemStyle: { color: shade(t.value), borderColor: "#fff", borderWidth: 1 },
        label: { color: bright ? "#fff" : "#212529" }
      };
    });
    var chart = make(el, {
      grid: { left: 0, right: 0, top: 0, bottom: 0 },
      tooltip: { formatter: function (p) { return p.data.name + ": " + fmt(p.data.figure); } },
      xAxis: { type: "value", min: -0.5, max: map.columns - 0.5, show: false },
      yAxis: { type: "value", min: -0.5, max: map.rows - 0.5, inverse: true, show: false },
      series: [{
        type: "scatter", symbol: "rect", symbolSize: size, data: data,
        label: { show: true, fontSize: size > 44 ? 10 : 8, overflow: "truncate", width: size - 2, lineHeight: 12,
          formatter: function (p) { return p.data.name + "\n" + fmt(p.data.figure); } }
      }]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
  }

  function draw(payload) {
    var data = payload.data;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      if (kind === "trend" && data) {
        line(el, data.trend.rows.map(function (r) { return [r.year, r.value]; }), data.indicator.name);
      } else if (kind === "map" && data) {
        tileMap(el, data.map);
      } else if (kind === "regions" && data) {
        bars(el, data.regions.rows.map(function (r) { return { label: r.name, value: r.value, url: r.url }; }), true);
      } else if (kind === "breakdown" && data) {
        var b = data.breakdowns[el.getAttribute("data-dimension")];
        if (b) { bars(el, b.rows, true); }
      } else if (kind === "history" && payload.selected) {
        line(el, payload.selected.history, payload.selected.indicator.name);
      }
    });
  }

  fetch(root.getAttribute("data-source"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(draw)
    .catch(function () {
      document.querySelectorAll("[data-chart]").forEach(function (el) { el.style.display = "none"; });
    });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
