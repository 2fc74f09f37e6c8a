// Cadence plans: small enhancements; every plan page works without this file.
(function () {
  "use strict";
  // Print buttons appear only where the page can print itself.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    if (typeof window.print !== "function") { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // After htmx swaps in an inline form, bring it into view (the focus moves with autofocus).
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelector) { return; }
    var form = target.matches && target.matches(".item-form") ? target : target.querySelector(".item-form");
    if (form && form.scrollIntoView) { form.scrollIntoView({ block: "nearest" }); }
  });
})();
