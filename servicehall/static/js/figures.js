// Charts of the catalogue figures page (ECharts, served by the app itself).
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!window.echarts) { return; }
  var font = { fontFamily: "Microsoft YaHei, WenQuanYi Micro Hei, sans-serif" };
  echarts.init(document.getElementById("chart-entry")).setOption({
    animation: false, textStyle: font, title: { text: "进驻事项与进驻率", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    legend: { bottom: 0 }, grid: { bottom: 70, left: 40, right: 50 },
    xAxis: { type: "category", data: data.centres, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: [{ type: "value", name: "事项" }, { type: "value", name: "%", max: 100 }],
    series: [{ name: "已进驻事项", type: "bar", data: data.items }, { name: "进驻率", type: "line", yAxisIndex: 1, data: data.entry }]
  });
  echarts.init(document.getElementById("chart-speed")).setOption({
    animation: false, textStyle: font, title: { text: "平均法定与承诺时限（工作日）", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    legend: { bottom: 0 }, grid: { bottom: 70, left: 40, right: 20 },
    xAxis: { type: "category", data: data.centres, axisLabel: { interval: 0, rotate: 30 } }, yAxis: { type: "value" },
    series: [{ name: "平均法定时限", type: "bar", data: data.statutory }, { name: "平均承诺时限", type: "bar", data: data.promised }]
  });
})();
