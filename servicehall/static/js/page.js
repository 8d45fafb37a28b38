// On every page: buttons marked data-print print the page; a page marked data-print-now (the
// kiosk's slip in kiosk printing mode) prints itself once loaded. No inline script anywhere:
// the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-print]");
    if (button) { e.preventDefault(); window.print(); }
  });
  window.addEventListener("load", function () {
    if (document.querySelector("[data-print-now]")) { window.print(); }
  });
})();
