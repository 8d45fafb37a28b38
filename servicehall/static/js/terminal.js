// Window terminal: F1–F8 press the matching key; the page reloads every 15 s when idle to
// refresh the counts.
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    var b = document.querySelector('#terminal-actions button[data-key="' + e.key + '"]');
    if (b) { e.preventDefault(); b.click(); }
  });
  setTimeout(function () {
    if (!document.activeElement || document.activeElement === document.body) { location.reload(); }
  }, 15000);
})();
