// Charts of the attendance figures page (ECharts, served by the app itself).
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!window.echarts) { return; }
  var font = { fontFamily: "Microsoft YaHei, WenQuanYi Micro Hei, sans-serif" };
  echarts.init(document.getElementById("chart-rates")).setOption({
    animation: false, textStyle: font, title: { left: "center", text: "出勤率（%）", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    grid: { top: 48, bottom: 10, left: 10, right: 20, containLabel: true },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", max: 100, min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10 - 10); } },
    series: [{ name: "出勤率", type: "bar", data: data.rates, label: { show: true, position: "top" } }]
  });
  echarts.init(document.getElementById("chart-empty")).setOption({
    animation: false, textStyle: font, title: { left: "center", text: "每月空岗分钟", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    legend: { top: 28, type: "scroll" }, grid: { top: 64, bottom: 10, left: 10, right: 20, containLabel: true },
    xAxis: { type: "category", data: data.months }, yAxis: { type: "value", minInterval: 1 },
    series: data.names.map(function (name, i) { return { name: name, type: "bar", stack: "empty", data: data.empty[i] }; })
  });
})();
