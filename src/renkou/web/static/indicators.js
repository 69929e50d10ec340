// The indicators page's charts: one bar chart per chosen indicator, the units along the axis, drawn with
// ECharts from the JSON block #chart-data (the CSP allows no inline script). A unit without a number
// (样本过少, no births...) is a gap. Tooltips are drawn on the canvas (richText). All text comes from the page.
(function () {
  "use strict";
  var block = document.getElementById("chart-data");
  var box = document.getElementById("indicator-charts");
  if (!block || !box || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent).chart;
  var drawn = [];
  data.series.forEach(function (s) {
    var wrap = document.createElement("figure");
    wrap.className = "indicator-chart";
    var cap = document.createElement("figcaption");
    cap.textContent = s.name;
    var el = document.createElement("div");
    el.className = "chart";
    el.id = "chart-" + s.code;
    wrap.appendChild(cap);
    wrap.appendChild(el);
    box.appendChild(wrap);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      grid: { left: 64, right: 16, top: 16, bottom: data.units.length > 8 ? 96 : 40 },
      xAxis: { type: "category", data: data.units, axisLabel: { rotate: data.units.length > 8 ? 45 : 0, interval: 0 } },
      yAxis: { type: "value", minInterval: s.whole ? 1 : 0 },
      series: [{ name: s.name, type: "bar", data: s.values, itemStyle: { color: "#3b73b9" } }]
    });
    drawn.push(chart);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute("data-charts", String(drawn.length));
})();
