// The applicant's ID number checked as it is typed or read from the card (GB 11643: 17 digits
// and a check character from the weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2): the message
// appears in the field at once; the server checks again on submit.
(function () {
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], CHECK = "10X98765432";
  function problem(value) {
    var v = value.trim().toUpperCase();
    if (!v) { return ""; }
    if (v.length !== 18) { return "身份证号码应为18位"; }
    if (!/^\d{17}[\dX]$/.test(v)) { return "身份证号码前17位应为数字，最后一位为数字或X"; }
    var sum = 0;
    for (var i = 0; i < 17; i++) { sum += Number(v[i]) * WEIGHTS[i]; }
    return CHECK[sum % 11] === v[17] ? "" : "身份证号码校验位错误，请核对";
  }
  document.querySelectorAll("input[data-id-check]").forEach(function (input) {
    var note = document.createElement("p");
    note.className = "field-error"; note.setAttribute("role", "alert"); note.hidden = true;
    input.insertAdjacentElement("afterend", note);
    function check(final) {
      var text = problem(input.value);
      var show = text && (final || input.value.trim().length >= 18);
      note.textContent = show ? text : ""; note.hidden = !show;
      input.setAttribute("aria-invalid", show ? "true" : "false");
    }
    input.addEventListener("input", function () { check(false); });
    input.addEventListener("blur", function () { check(true); });
  });
})();
