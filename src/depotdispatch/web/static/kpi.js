// The KPI page's four plots (ECharts, canvas). Data comes from the page (#kpi-data); every bar or point
// carries the link to the blocks behind it, so a click drills down.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("kpi-data");
    if (!el || !window.echarts) { return; }
    var d = JSON.parse(el.textContent);
    var charts = [];
    // A category axis whose labels never overlap: words wrap when each has room, else they slant and are
    // cut (the full words are in the tooltip and the tables below); dates drop the ones that would collide.
    function words(id, data) {
      var room = document.getElementById(id).clientWidth * 0.85 / Math.max(1, data.length);
      var label = room >= 90 ? { interval: 0, width: room - 10, overflow: "break", lineHeight: 16 }
                             : { interval: 0, rotate: 35, width: 130, overflow: "truncate" };
      return { type: "category", data: data, axisLabel: label };
    }
    function dates(data) {
      return { type: "category", data: data, axisLabel: { hideOverlap: true } };
    }
    function draw(id, option) {
      // the legend above the plot (ECharts 6 puts it at the bottom, over the axis labels)
      // every entry shown (a scrolling legend hid "ok that held", the tallest bars, behind a pager): the legend
      // wraps, and the plot starts below as many lines as its entries need at this width (~7 px a character)
      var lines = 0;
      if (option.legend) {
        var width = document.getElementById(id).clientWidth - 24, line = 0;
        lines = 1;
        option.series.forEach(function (s) {
          var w = 40 + 7 * s.name.length;
          if (line > 0 && line + w > width) { lines += 1; line = 0; }
          line += w;
        });
        option.legend.top = 0; option.legend.type = "plain";
      }
      option.grid = option.grid || { containLabel: true, left: 8, right: 16, bottom: 8, top: lines ? 12 + 24 * lines : 16 };
      var c = window.echarts.init(document.getElementById(id), null, { renderer: "canvas" });
      option.animation = false;
      option.tooltip = option.tooltip || { trigger: "item" };
      c.setOption(option);
      c.on("click", function (p) { if (p.data && p.data.href) { window.location.href = p.data.href; } });
      charts.push(c);
    }
    draw("plot-ev-share", {
      legend: {}, tooltip: { trigger: "axis" }, xAxis: dates(d.days),
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
      series: [{ name: "blocks", type: "line", data: d.ev_share_blocks },
               { name: "km", type: "line", data: d.ev_share_km }]
    });
    draw("plot-substitutions", {
      xAxis: words("plot-substitutions", d.substitution_reasons), tooltip: { trigger: "axis" },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "substitutions", type: "bar", data: d.substitutions }]
    });
    draw("plot-overrides", {
      legend: {}, xAxis: words("plot-overrides", d.override_reasons), tooltip: { trigger: "axis" },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "proved right", type: "bar", stack: "o", data: d.overrides.proved_right },
               { name: "proved wrong", type: "bar", stack: "o", data: d.overrides.proved_wrong },
               { name: "unknown", type: "bar", stack: "o", data: d.overrides.unknown }]
    });
    draw("plot-accuracy", {
      legend: {}, xAxis: dates(d.weeks), yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "warning proved right", type: "bar", stack: "w", data: d.accuracy.warned_right },
               { name: "warning proved wrong", type: "bar", stack: "w", data: d.accuracy.warned_wrong },
               { name: "ok that failed", type: "bar", stack: "k", data: d.accuracy.ok_failed },
               { name: "ok that held", type: "bar", stack: "k", data: d.accuracy.ok_held }]
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.setAttribute("data-kpi-plots", String(charts.length));
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
