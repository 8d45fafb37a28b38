// Charts of the complaint figures page (ECharts, served by the app itself).
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!window.echarts) { return; }
  var font = { fontFamily: "Microsoft YaHei, WenQuanYi Micro Hei, sans-serif" };
  echarts.init(document.getElementById("chart-kinds")).setOption({
    animation: false, textStyle: font, title: { left: "center", text: "各中心收到的投诉与意见建议", textStyle: { fontSize: 15 } },
    tooltip: { trigger: "axis" }, legend: { top: 28 }, grid: { top: 64, bottom: 10, left: 10, right: 20, containLabel: true },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: 30 } }, yAxis: { type: "value", minInterval: 1 },
    series: data.kinds.map(function (label, i) {
      return { name: label, type: "bar", stack: "kinds", data: data.counts.map(function (c) { return c[i]; }) };
    })
  });
  echarts.init(document.getElementById("chart-channels")).setOption({
    animation: false, textStyle: font, title: { left: "center", text: "按渠道", textStyle: { fontSize: 15 } },
    tooltip: { trigger: "item" }, legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "62%"], data: data.channels, label: { formatter: "{b}\n{c}" } }]
  });
})();
