// The vehicle timeline: vis-timeline lanes, drag = reassign through the board's assign route; ECharts SoC.
(function () {
  "use strict";
  let timeline = null, items = null, groups = null, data = null, chart = null;
  // A live reload in the middle of a drag would take the bar from under the pointer: it waits for the drop.
  let holding = false, waiting = false;

  function load() {
    const el = document.getElementById("timeline");
    if (!el) return;
    if (holding) { waiting = true; return; }
    fetch(el.dataset.url, { headers: { Accept: "application/json" } }).then((r) => r.json()).then((d) => {
      data = d;
      if (!timeline) {
        items = new vis.DataSet(d.items);
        groups = new vis.DataSet(d.groups);
        timeline = new vis.Timeline(el, items, groups, {
          stack: true, editable: { updateGroup: true, updateTime: false, remove: false, add: false },
          start: d.start, end: d.end, zoomMin: 30 * 60 * 1000, zoomMax: 36 * 3600 * 1000,
          orientation: "top", groupOrder: "order", margin: { item: 4 },
          moment: (date) => vis.moment(date).utcOffset(d.utc_offset_min),
          onMoving: (item, cb) => cb(item), onMove: move,
        });
        timeline.addCustomTime(d.now, "now");
        timeline.on("select", (p) => { const it = p.items.length && items.get(p.items[0]); if (it && it.group !== "__open__") pick(it.group); });
      } else {
        groups.update(d.groups);
        items.clear();
        items.add(d.items);
        timeline.setCustomTime(d.now, "now");
      }
      el.dataset.ready = "yes";
      options();
    });
  }

  function move(item, callback) {
    callback(null); // the bar goes back; the live reload moves it once the plan really changed
    if (item.group === "__open__") return;
    const body = new FormData();
    body.append("vehicle_id", item.group);
    body.append("plan_version", String(data.plan_version));
    window.htmx.ajax("POST", data.assign_url.replace("{block}", encodeURIComponent(item.id)),
      { target: "#dialog-body", swap: "innerHTML", values: { vehicle_id: item.group, plan_version: data.plan_version } });
  }

  function options() {
    const sel = document.getElementById("soc-vehicle");
    if (!sel) return;
    const keep = sel.value;
    sel.innerHTML = "";
    Object.keys(data.soc).forEach((v) => { const o = document.createElement("option"); o.value = v; o.textContent = v; sel.appendChild(o); });
    if (keep && data.soc[keep]) sel.value = keep;
    draw();
  }

  function pick(vehicle) {
    const sel = document.getElementById("soc-vehicle");
    if (sel && data.soc[vehicle]) { sel.value = vehicle; draw(); }
  }

  // HH:MM in the depot's time (the browser may be in another zone)
  function depotTime(ms) {
    return new Date(Number(ms) + data.utc_offset_min * 60000).toISOString().slice(11, 16);
  }

  function draw() {
    const sel = document.getElementById("soc-vehicle");
    const el = document.getElementById("soc-chart");
    if (!sel || !el || !window.echarts) return;
    const points = data.soc[sel.value] || [];
    if (!chart) chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false, grid: { left: 50, right: 20, top: 20, bottom: 40 },
      xAxis: { type: "time", axisLabel: { formatter: depotTime } },
      yAxis: { type: "value", min: 0, max: 100, name: "SoC %" },
      tooltip: { trigger: "axis", axisPointer: { label: { formatter: (p) => depotTime(p.value) } } },
      series: [{ type: "line", name: sel.value, data: points, step: false, symbolSize: 6,
                 markLine: { silent: true, symbol: "none", data: [{ yAxis: data.reserve_pct, name: "reserve" }] } }],
    }, true);
    const words = document.getElementById("soc-words");
    if (words) words.textContent = data.soc_words[sel.value] || "No reading for " + sel.value;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const el = document.getElementById("timeline");
    if (el) el.addEventListener("pointerdown", () => { holding = true; }, true);
    const release = () => {
      if (!holding) return;
      holding = false;
      if (waiting) { waiting = false; setTimeout(load, 0); }  // after the drop's own handlers
    };
    window.addEventListener("pointerup", release, true);
    window.addEventListener("pointercancel", release, true);
    load();
    const sel = document.getElementById("soc-vehicle");
    if (sel) sel.addEventListener("change", draw);
  });
  document.addEventListener("dd:live", load);
})();
