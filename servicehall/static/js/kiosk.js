// The ticket kiosk, touch only: an on-screen keypad for the phone, ID and booking-code fields
// (digits, and X for an ID number), the green-channel toggle, large type for the elderly, and
// an ID card reader that types like a keyboard (its Enter must not submit the form).
(function () {
  var pad = document.getElementById("keypad"), title = document.getElementById("keypad-title");
  var shown = document.getElementById("keypad-value"), target = null, buffer = "";

  function render() { shown.textContent = buffer || "　"; }
  function open(input) {
    target = input; buffer = input.value; title.textContent = input.dataset.keypad;
    pad.querySelector(".k-key-x").hidden = input.dataset.keys !== "id";
    pad.hidden = false; render();
  }
  function close(keep) {
    if (keep && target) { target.value = buffer; target.removeAttribute("aria-invalid"); }
    pad.hidden = true; target = null;
  }
  function press(key) {
    if (!target) { return; }
    var max = Number(target.maxLength) || 18;
    if (key === "back") { buffer = buffer.slice(0, -1); }
    else if (key === "clear") { buffer = ""; }
    else if (key === "cancel") { close(false); return; }
    else if (key === "done") { close(true); return; }
    else if (buffer.length < max) { buffer += key; }
    render();
  }
  document.querySelectorAll("input[data-keypad]").forEach(function (input) {
    input.addEventListener("click", function () { open(input); });
    input.addEventListener("keydown", function (e) {  // a card reader ends with Enter
      if (e.key === "Enter") { e.preventDefault(); input.blur(); }
    });
  });
  pad.querySelectorAll("button[data-key]").forEach(function (b) {
    b.addEventListener("click", function () { press(b.dataset.key); });
  });
  document.addEventListener("keydown", function (e) {  // typed while the keypad is open
    if (pad.hidden) { return; }
    if (/^[0-9]$/.test(e.key) || (e.key.toUpperCase() === "X" && target.dataset.keys === "id")) { press(e.key.toUpperCase()); }
    else if (e.key === "Backspace") { press("back"); }
    else if (e.key === "Enter") { press("done"); }
    else if (e.key === "Escape") { press("cancel"); }
    else { return; }
    e.preventDefault();
  });

  var green = document.getElementById("green"), value = document.getElementById("green-value");
  if (green) {
    green.addEventListener("click", function () {
      var on = green.getAttribute("aria-pressed") !== "true";
      green.setAttribute("aria-pressed", on ? "true" : "false"); value.value = on ? "1" : "";
    });
  }
  var large = document.getElementById("large-type");
  large.addEventListener("click", function () {
    var on = document.body.classList.toggle("k-big");
    large.setAttribute("aria-pressed", on ? "true" : "false");
  });
  var id = document.getElementById("id-number");
  if (id && !document.querySelector("[aria-invalid]")) { id.focus({preventScroll: true}); }  // ready for a card swipe
})();
