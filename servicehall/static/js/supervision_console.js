// The supervision console's 30-day trend of alerts raised per day (ECharts, served by the app).
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!window.echarts) { return; }
  var colours = { red: "#c62828", yellow: "#d89b00" };
  echarts.init(document.getElementById("chart-trend")).setOption({
    animation: false,
    textStyle: { fontFamily: "Microsoft YaHei, WenQuanYi Micro Hei, sans-serif" },
    title: { left: "center", text: "近30天每日新增预警", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    legend: { top: 28 }, grid: { top: 64, bottom: 10, left: 10, right: 20, containLabel: true },
    xAxis: { type: "category", data: data.days }, yAxis: { type: "value", minInterval: 1 },
    series: data.levels.map(function (level) {
      return { name: level.name, type: "bar", stack: "alerts", data: level.counts, itemStyle: { color: colours[level.level] } };
    })
  });
})();
