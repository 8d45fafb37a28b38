// The bureau's and leadership's home: today's tickets and this month's satisfaction per centre.
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!window.echarts) { return; }
  echarts.init(document.getElementById("chart-dashboard")).setOption({
    animation: false, textStyle: { fontFamily: "Microsoft YaHei, WenQuanYi Micro Hei, sans-serif" },
    title: { left: "center", text: "各中心今日取号与本月满意率", textStyle: { fontSize: 15 } }, tooltip: { trigger: "axis" },
    legend: { top: 28 }, grid: { top: 64, bottom: 10, left: 10, right: 10, containLabel: true },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: [{ type: "value", name: "取号" }, { type: "value", name: "%", max: 100 }],
    series: [{ name: "今日取号", type: "bar", data: data.tickets },
             { name: "本月满意率", type: "line", yAxisIndex: 1, data: data.satisfaction }]
  });
})();
