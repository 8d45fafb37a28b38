// The window's evaluation pad (评价器). The level is stored the moment it is tapped, so a
// citizen who walks away still leaves a review; for a bad level the reasons and a comment are
// added to it on the next screen. Untouched for SH_PAD_IDLE_SECONDS, the pad tells the server
// it went idle, so the next citizen is never shown the previous one's prompt.
(function () {
  var root = document.getElementById("pad"), key = root.dataset.key;
  var idleMs = Number(root.dataset.idleSeconds || 30) * 1000;
  var service = null, review = null, timer = null, busy = false, dismissed = {};
  var $ = function (id) { return document.getElementById(id); };

  function show(id) {
    ["idle", "rate", "details", "thanks"].forEach(function (s) { $(s).hidden = s !== id; });
    $("pad-error").hidden = true;
  }
  function serviceKey(s) { return s.kind + ":" + (s.ticket || s["case"]); }
  function reset() {
    clearTimeout(timer);
    if (service) { dismissed[serviceKey(service)] = true; }
    if (service && !review) { post("/api/v1/pads/idle", "POST", null); }
    service = null; review = null; busy = false;
    document.querySelectorAll("#reasons .reason").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    $("comment").value = "";
    show("idle");
  }
  function later(ms) { clearTimeout(timer); timer = setTimeout(reset, ms || idleMs); }
  function fail(text) { var e = $("pad-error"); e.textContent = text; e.hidden = false; }
  function post(url, method, body) {
    return fetch(url, {method: method, headers: {"Content-Type": "application/json", "X-Pad-Key": key},
                       body: body ? JSON.stringify(body) : null})
      .then(function (r) { return r.status === 204 ? {ok: true, body: {}} : r.json().then(function (b) { return {ok: r.ok, body: b}; }); });
  }
  function chineseDate(iso) { var p = iso.split("-"); return Number(p[1]) + "月" + Number(p[2]) + "日"; }
  function thanks(body) {
    $("thanks-text").textContent = body.bad && body.rectification_deadline
      ? "我们会在" + chineseDate(body.rectification_deadline) + "前回访并整改。" : "祝您生活愉快！";
    show("thanks"); service = null; later(8000);
  }

  function poll() {
    fetch(root.dataset.state, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      $("clerk").hidden = !s.clerk;
      if (s.clerk) { $("clerk-name").textContent = s.clerk.name; $("clerk-no").textContent = s.clerk.employee_no ? "（工号 " + s.clerk.employee_no + "）" : ""; }
      if (s.service && !service && !$("idle").hidden && !dismissed[serviceKey(s.service)]) {
        service = s.service; $("service-label").textContent = s.service.label; show("rate"); later();
      }
    }).catch(function () {});
  }

  document.querySelectorAll("#levels .level").forEach(function (b) {
    b.addEventListener("click", function () {
      if (busy || !service) { return; }
      busy = true; later();
      post("/api/v1/reviews", "POST", {ticket: service.ticket, "case": service["case"], level: Number(b.dataset.level), channel: 4})
        .then(function (res) {
          busy = false;
          if (!res.ok) { fail(res.body.message); if (res.body.error === "already_reviewed") { later(5000); } return; }
          review = res.body;
          if (!review.bad) { thanks(review); return; }
          $("recorded").textContent = "已记录您的评价：" + b.dataset.label;
          show("details"); later();
        }).catch(function () { busy = false; fail("网络异常，请再点一次"); });
    });
  });
  document.querySelectorAll("#reasons .reason").forEach(function (b) {
    b.addEventListener("click", function () { b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true"); later(); });
  });
  $("comment").addEventListener("input", function () { later(); });
  $("skip").addEventListener("click", function () { thanks(review); });
  $("submit").addEventListener("click", function () {
    var reasons = Array.prototype.map.call(document.querySelectorAll('#reasons .reason[aria-pressed="true"]'), function (b) { return b.dataset.reason; });
    var comment = $("comment").value.trim();
    if (!reasons.length && !comment) { thanks(review); return; }
    post("/api/v1/reviews/" + review.id, "PATCH", {reasons: reasons, comment: comment}).then(function (res) {
      if (!res.ok) { fail(res.body.message); later(); return; }
      thanks(res.body);
    }).catch(function () { fail("网络异常，请再点一次"); });
  });
  setInterval(poll, 2000); poll();
})();
