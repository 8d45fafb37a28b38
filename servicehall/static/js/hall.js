// Hall display and window screen: poll the state document with its ETag (304 when nothing
// changed), draw it, and speak new calls one after another. A network drop or a server
// restart only shows a banner; polling goes on with a growing pause and recovers by itself.
(function () {
  "use strict";
  var node = document.getElementById("hall-config");  // no inline script: the page's CSP forbids it
  var cfg = {stateUrl: node.dataset.stateUrl,
             windowNumber: node.dataset.windowNumber ? Number(node.dataset.windowNumber) : null};
  var etag = null, state = null, heard = null, failures = 0;
  var queue = [];          // texts waiting to be spoken; the first is the one being spoken
  var speaking = false;
  var current = null;      // the utterance being spoken, kept referenced until it ends
  var watchdog = null;
  var QUEUE_LIMIT = 40;    // a display muted for hours does not then speak for hours
  window.hallAnnouncements = [];  // every text queued, oldest first (read by the browser test)

  function el(id) { return document.getElementById(id); }
  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) node.className = cls;
    return node;
  }

  // One line has been spoken, has failed, was refused by the browser (no touch on the page
  // yet: the line stays first and a button asks for one) or never ended (a browser fault: the
  // watchdog drops it, so one lost end event cannot silence the display for good).
  function settle(u, outcome) {
    if (current !== u) return;  // already settled: the watchdog's cancel fires onerror too
    clearTimeout(watchdog);
    current = null;
    speaking = false;
    if (outcome === "blocked") {
      var button = el("voice");
      if (button) button.hidden = false;
      return;
    }
    queue.shift();
    setTimeout(speakNext, 400);
  }

  function speakNext() {
    if (speaking || !queue.length) return;
    if (!("speechSynthesis" in window)) { queue.length = 0; return; }
    var line = queue[0];
    var u = new SpeechSynthesisUtterance(line);
    u.lang = "zh-CN";
    u.rate = 0.9;
    speaking = true;
    current = u;
    // Never cancel a line being spoken: the next call waits until this one has ended.
    u.onend = function () { settle(u, "spoken"); };
    u.onerror = function (e) { settle(u, e.error === "not-allowed" ? "blocked" : "failed"); };
    watchdog = setTimeout(function () {
      settle(u, "stuck");
      window.speechSynthesis.cancel();
    }, 5000 + 600 * line.length);
    window.speechSynthesis.speak(u);
  }

  // Every call not in the previous document is new, whatever its id: ids are taken before
  // commit, so a call may appear after a later one has (see db/queue.py, event_mark).
  function announce(calls) {
    var fresh = calls.filter(function (c) { return !heard[c.id]; });
    fresh.sort(function (a, b) { return a.id - b.id; });
    fresh.forEach(function (c) {
      window.hallAnnouncements.push(c.text);
      queue.push(c.text, c.text);  // each call is spoken twice
    });
    if (queue.length > QUEUE_LIMIT) queue.splice(speaking ? 1 : 0, queue.length - QUEUE_LIMIT);
    remember(calls);
    speakNext();
  }

  function remember(calls) {
    heard = {};
    calls.forEach(function (c) { heard[c.id] = true; });
  }

  // Older TV browsers lack replaceChildren (Chrome < 86): empty the node, then append.
  function fill(node, children) {
    while (node.firstChild) node.removeChild(node.firstChild);
    children.forEach(function (child) { node.appendChild(child); });
  }

  // One line per ticket, newest call first: a recall moves its ticket's line up and lights it
  // again instead of adding a second one.
  var flashed = {};
  function drawHall(s) {
    var lines = [], seen = {};
    s.calls.forEach(function (c) {
      if (!seen[c.number]) { seen[c.number] = true; lines.push(c); }
    });
    lines = lines.slice(0, 5);
    fill(el("calls"), lines.map(function (c, i) {
      var tr = document.createElement("tr");
      tr.className = i === 0 ? "newest" : "older";
      if (i === 0 && !flashed[c.id]) { tr.className += " flash"; flashed = {}; flashed[c.id] = true; }
      tr.dataset.number = c.number;
      tr.appendChild(text("td", c.number, "number"));
      var w = text("td", c.window === null ? "—" : String(c.window), "window");
      if (c.window !== null) { w.appendChild(text("small", "号窗口")); }
      tr.appendChild(w);
      return tr;
    }));
    el("calls-empty").hidden = lines.length > 0;
    fill(el("windows"), s.windows.map(function (w) {
      var tr = document.createElement("tr");
      tr.appendChild(text("td", w.number + "号窗口"));
      tr.appendChild(text("td", w.paused ? "暂停服务" : (w.current ? w.current.number : "—"), w.paused ? "paused" : ""));
      return tr;
    }));
    fill(el("waiting"), s.waiting.map(function (c) {
      var li = text("li", c.category + " " + c.name);
      li.appendChild(text("strong", c.count + " 人"));
      return li;
    }));
    var notice = el("notice");
    notice.textContent = s.notice || notice.dataset["default"];
  }

  function drawWindow(s) {
    var w = s.windows.filter(function (x) { return x.number === cfg.windowNumber; })[0];
    var serving = el("serving");
    serving.textContent = !w ? "—" : (w.paused ? "暂停服务" : (w.current ? w.current.number : "—"));
    serving.className = "serving" + (w && w.paused ? " paused" : "");
  }

  function apply(s) {
    state = s;
    if (cfg.windowNumber) { drawWindow(s); return; }
    if (heard === null) {  // first load: what was called before is not spoken again
      remember(s.calls);
    } else {
      announce(s.calls);
    }
    drawHall(s);
  }

  function poll() {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, 5000);
    var headers = etag ? {"If-None-Match": etag} : {};
    fetch(cfg.stateUrl, {headers: headers, cache: "no-store", signal: ctrl.signal})
      .then(function (r) {
        clearTimeout(timer);
        if (r.status === 304) return null;
        if (!r.ok) throw new Error("HTTP " + r.status);
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (s) {
        failures = 0;
        el("offline").hidden = true;
        if (s) apply(s);
        setTimeout(poll, 1000);
      })
      .catch(function () {
        clearTimeout(timer);
        failures += 1;
        el("offline").hidden = false;
        setTimeout(poll, Math.min(1000 * failures, 10000));
      });
  }

  function tick() {
    var c = el("clock");
    if (c) {
      var d = new Date();
      c.textContent = d.toLocaleDateString("zh-CN") + " " + d.toLocaleTimeString("zh-CN", {hour12: false});
    }
  }
  var voice = el("voice");
  if (voice) {
    voice.addEventListener("click", function () {  // the touch the browser asked for
      voice.hidden = true;
      speakNext();
    });
  }
  tick();
  setInterval(tick, 1000);
  poll();
})();
