// Charts of the dashboard and of the structure report, drawn with ECharts from the JSON block
// #chart-data (the CSP allows no inline script). Tooltips are drawn on the canvas (richText), so
// ECharts writes no inline style attributes that the CSP would refuse. All text comes from the page.
(function () {
  "use strict";
  var block = document.getElementById("chart-data");
  if (!block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var L = data.labels || {};
  var MALE = "#3b73b9", FEMALE = "#d9668f", OUTSIDE = "#c0392b";
  var drawn = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    option.tooltip = Object.assign({ renderMode: "richText", confine: true }, option.tooltip || {});
    chart.setOption(option);
    drawn.push(chart);
  }

  if (data.births) {
    var b = data.births;
    draw("chart-births", {
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: b.months, axisLabel: { rotate: 45 } },
      yAxis: { type: "value", name: L.births, minInterval: 1 },
      series: [
        { name: L.male, type: "bar", stack: "births", data: b.male, itemStyle: { color: MALE } },
        { name: L.female, type: "bar", stack: "births", data: b.female, itemStyle: { color: FEMALE } }
      ]
    });
  }

  if (data.pyramid) {
    var p = data.pyramid;
    var abs = function (v) { return Math.abs(v).toLocaleString(); };
    draw("chart-pyramid", {
      legend: { top: 0, right: 0 },
      grid: { left: 64, right: 24, top: 40, bottom: 32 },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (items) {
          return items.map(function (it) { return it.seriesName + " " + it.name + ": " + abs(it.value); }).join("\n");
        }
      },
      xAxis: { type: "value", name: L.persons, axisLabel: { formatter: abs } },
      yAxis: { type: "category", name: L.age, data: p.groups, axisTick: { show: false }, axisLabel: { interval: 0 } },
      series: [
        { name: L.male, type: "bar", stack: "pyramid", barCategoryGap: "8%", itemStyle: { color: MALE },
          data: p.male.map(function (v) { return -v; }) },
        { name: L.female, type: "bar", stack: "pyramid", itemStyle: { color: FEMALE }, data: p.female }
      ]
    });
  }

  if (data.funnel) {
    // Units with too few births (pt.small) have no ratio: listed in the table, not plotted. The axes
    // come from the page (y_min, y_max include both limit lines and every point), so nothing is clipped.
    var f = data.funnel;
    var shown = f.points.filter(function (pt) { return !pt.small && pt.srb !== null; });
    var point = function (pt) { return { name: pt.name, value: [pt.births, pt.srb] }; };
    var limit = function (k) {
      return f.limits.filter(function (r) { return r[k] !== null; }).map(function (r) { return [r[0], r[k]]; });
    };
    draw("chart-funnel", {
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 44 },
      tooltip: {
        trigger: "item",
        formatter: function (it) {
          if (it.seriesType !== "scatter") { return it.seriesName; }
          return it.name + "\n" + L.births + ": " + it.value[0] + "\n" + L.srb + ": " + it.value[1];
        }
      },
      xAxis: { type: "value", name: L.births, nameLocation: "middle", nameGap: 28, min: 0, max: f.max_births },
      yAxis: { type: "value", name: L.srb, min: f.y_min, max: f.y_max },
      series: [
        { name: L.limits, type: "line", showSymbol: false, smooth: true, lineStyle: { type: "dashed", color: "#888" },
          itemStyle: { color: "#888" }, data: limit(2) },
        { name: L.limits, type: "line", showSymbol: false, smooth: true, lineStyle: { type: "dashed", color: "#888" },
          itemStyle: { color: "#888" }, data: limit(1) },
        { name: L.reference, type: "line", showSymbol: false, lineStyle: { color: "#2e7d32" }, itemStyle: { color: "#2e7d32" },
          data: [[0, f.target], [f.max_births, f.target]] },
        { name: L.within, type: "scatter", symbolSize: 10, itemStyle: { color: MALE },
          data: shown.filter(function (pt) { return !pt.outside; }).map(point) },
        { name: L.outside, type: "scatter", symbolSize: 14, itemStyle: { color: OUTSIDE },
          data: shown.filter(function (pt) { return pt.outside; }).map(point) }
      ]
    });
  }

  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute("data-charts", String(drawn.length));
})();
