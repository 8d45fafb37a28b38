// Charts of the review figures page (ECharts, served by the app itself).
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!window.echarts) { return; }
  var font = { fontFamily: "Microsoft YaHei, WenQuanYi Micro Hei, sans-serif" };
  echarts.init(document.getElementById("chart-rates")).setOption({
    animation: false, textStyle: font, title: { left: "center", text: "满意率与差评率（%）", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    legend: { top: 28 }, grid: { top: 64, bottom: 10, left: 10, right: 20, containLabel: true },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: 30 } }, yAxis: { type: "value", max: 100 },
    series: [{ name: "满意率", type: "bar", data: data.satisfaction }, { name: "差评率", type: "bar", data: data.bad }]
  });
  echarts.init(document.getElementById("chart-levels")).setOption({
    animation: false, textStyle: font, title: { left: "center", text: "各等级评价数", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    legend: { top: 28 }, grid: { top: 64, bottom: 10, left: 10, right: 20, containLabel: true },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: 30 } }, yAxis: { type: "value" },
    series: data.levels.map(function (label, i) {
      return { name: label, type: "bar", stack: "levels", data: data.counts.map(function (c) { return c[i]; }) };
    })
  });
})();
