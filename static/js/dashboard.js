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
  // On a map tile or an axis a figure of six digits or more is shortened by the language's own abbreviations
  // (1,2 Tr / 3,6 NT in Vietnamese, 1.2m / 3.6tn in English); the tooltip and tables give it whole.
  var compactFormat = new Intl.NumberFormat(lang === "en" ? "en-GB" : "vi-VN", { notation: "compact", maximumFractionDigits: 1 });
  function compact(v) { return v !== null && v !== undefined && Math.abs(v) >= 100000 ? compactFormat.format(v) : fmt(v); }
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
      yAxis: { type: "value", axisLabel: { formatter: compact } },
      series: [{ name: name, type: "line", data: rows.map(function (r) { return r[1]; }), itemStyle: { color: GREEN }, areaStyle: { opacity: 0.08 } }]
    });
  }

  // Horizontal bars: category names wrap onto as many lines as they need (never cut), and the chart
  // grows with the rows so that every name keeps its room.
  function bars(el, rows) {
    var labelWidth = Math.min(180, Math.max(110, Math.floor(el.clientWidth * 0.4)));
    var charsPerLine = Math.max(10, Math.floor(labelWidth / 7));
    var height = rows.reduce(function (h, r) {
      return h + Math.max(28, Math.ceil(String(r.label).length / charsPerLine) * 14 + 12);
    }, 40);
    el.style.height = Math.max(height, 200) + "px";
    var chart = make(el, {
      grid: { left: labelWidth + 12, right: 20, top: 10, bottom: 30 },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: { type: "value", axisLabel: { formatter: compact, hideOverlap: true } },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.label; }),
        axisLabel: { width: labelWidth, overflow: "break", lineHeight: 14, interval: 0 } },
      series: [{ type: "bar", data: rows.map(function (r) { return { value: r.value, url: r.url }; }), itemStyle: { color: GREEN } }]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
  }

  // Tile grid: one square per unit at its (col, row), shaded by value (grey: no value). A tile shows
  // its label (tilegrid.tile_label: the name on one or two lines, never cut) and a compact value; the
  // tooltip the full name and value; the legend under the map the scale with the indicator's unit.
  var LIGHT = [217, 240, 227], DARK = [11, 93, 59], NO_VALUE = "#e9ecef";
  function tileMap(el, map, unit) {
    var values = map.tiles.map(function (t) { return t.value; }).filter(function (v) { return v !== null; });
    var max = Math.max.apply(null, values.concat([0]));
    var min = Math.min.apply(null, values.concat([max]));
    function shade(v) {
      if (v === null) { return NO_VALUE; }
      var t = max > min ? (v - min) / (max - min) : 1;
      var c = LIGHT.map(function (l, i) { return Math.round(l + (DARK[i] - l) * t); });
      return "rgb(" + c.join(",") + ")";
    }
    // Squares as wide as the box allows (at most 56 px); the box grows to the grid's height.
    var cell = Math.min(Math.floor(el.clientWidth / map.columns), 56);
    el.style.height = (cell * map.rows) + "px";
    var size = cell - 3;
    var fontSize = size >= 50 ? 10 : 9;
    var data = map.tiles.filter(function (t) { return t.col !== null; }).map(function (t) {
      var bright = t.value !== null && max > min && (t.value - min) / (max - min) > 0.5;
      return {
        value: [t.col, t.row], name: t.name, label_text: t.label || t.name, url: t.url, figure: t.value,
        itemStyle: { color: shade(t.value), borderColor: "#fff", borderWidth: 1 },
        label: { color: bright ? "#fff" : "#212529" }
      };
    });
    var chart = make(el, {
      grid: { left: 0, right: 0, top: 0, bottom: 0 },
      tooltip: { formatter: function (p) {
        var text = echarts.format.encodeHTML(p.data.name + ": " + fmt(p.data.figure));
        return p.data.figure === null ? text : text + " " + echarts.format.encodeHTML(unit);
      } },
      xAxis: { type: "value", min: -0.5, max: map.columns - 0.5, show: false },
      yAxis: { type: "value", min: -0.5, max: map.rows - 0.5, inverse: true, show: false },
      series: [{
        type: "scatter", symbol: "rect", symbolSize: size, data: data,
        label: { show: true, fontSize: fontSize, lineHeight: fontSize + 2, overflow: "truncate", width: size - 2,
          formatter: function (p) { return p.data.label_text + "\n" + compact(p.data.figure); } }
      }]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    mapLegend(el, values.length ? [min, max] : null);
  }

  // The legend is HTML under the map (the vendored ECharts build has no visualMap): the lightest and
  // darkest shade with their values, the unit and the no-value grey, all in the page's language.
  function mapLegend(el, range) {
    var box = el.parentNode.querySelector("[data-map-legend]");
    if (!box) { return; }
    var scale = box.querySelector("[data-legend-scale]");
    scale.hidden = !range;
    if (range) {
      box.querySelector("[data-legend-min]").textContent = fmt(range[0]);
      box.querySelector("[data-legend-max]").textContent = fmt(range[1]);
      box.querySelector("[data-legend-bar]").style.background =
        "linear-gradient(to right, rgb(" + LIGHT.join(",") + "), rgb(" + DARK.join(",") + "))";
    }
    box.querySelector("[data-legend-none]").style.background = NO_VALUE;
    box.hidden = false;
  }

  function draw(payload) {
    var data = payload.data;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      if (kind === "trend" && data) {
        line(el, data.trend.rows.map(function (r) { return [r.year, r.value]; }), data.indicator.name);
      } else if (kind === "map" && data) {
        tileMap(el, data.map, data.indicator.unit);
      } else if (kind === "regions" && data) {
        bars(el, data.regions.rows.map(function (r) { return { label: r.name, value: r.value, url: r.url }; }));
      } else if (kind === "breakdown" && data) {
        var b = data.breakdowns[el.getAttribute("data-dimension")];
        if (b) { bars(el, b.rows); }
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
