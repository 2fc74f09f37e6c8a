// Cadence consents: small enhancements; every consent page works without this file.
(function () {
  "use strict";
  // Print buttons appear only where the page can print itself.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    if (typeof window.print !== "function") { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // The consent form: show only the parts that apply to the chosen kind (all parts stay in
  // the page, so nothing typed is lost when the kind changes).
  document.querySelectorAll("form[data-consent-form]").forEach(function (form) {
    var radios = form.querySelectorAll("input[name='kind']");
    function update() {
      var chosen = form.querySelector("input[name='kind']:checked");
      var kind = chosen ? chosen.value : "";
      form.querySelectorAll("fieldset[data-for-kind]").forEach(function (fieldset) {
        var kinds = fieldset.getAttribute("data-for-kind").split(" ");
        fieldset.hidden = kind !== "" && kinds.indexOf(kind) === -1;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });

  // Release form: the name and kind of recipient are needed only for "someone else".
  document.querySelectorAll("select[name='recipient']").forEach(function (select) {
    var other = document.querySelector(".other-recipient");
    if (!other) { return; }
    function update() { other.hidden = select.value !== "" && select.value !== "other"; }
    select.addEventListener("change", update);
    update();
  });
})();
