// Group notes: small enhancements; the page works without this file.
(function () {
  "use strict";

  // Print pages: a Print button where scripts run.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  var form = document.querySelector("form[data-group-note]");
  if (!form) { return; }

  // Keep typed work: ask before leaving with unsaved changes; submitting is not leaving.
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  // Sections that read the same as another person's are flagged as you type (the server
  // refuses to sign them; this only says so earlier).
  function norm(text) {
    return (text || "").toLowerCase().replace(/[^\p{L}\p{N}']+/gu, " ").trim();
  }
  var cards = Array.prototype.slice.call(form.querySelectorAll(".gn-card"));
  function check() {
    var seen = {};
    cards.forEach(function (card) {
      var response = card.querySelector("textarea[data-field=response]");
      var progress = card.querySelector("textarea[data-field=progress]");
      var note = card.querySelector(".gn-dup");
      if (!response || !progress) { return; }
      var key = norm(response.value) + "\u0000" + norm(progress.value);
      var name = (card.querySelector("h3") || {}).textContent || "another participant";
      var same = key !== "\u0000" && seen[key];
      if (same) {
        if (!note) {
          note = document.createElement("p");
          note.className = "gn-dup";
          note.setAttribute("role", "status");
          card.querySelector(".gn-card-body").prepend(note);
        }
        note.textContent = "Same text as " + same + "'s section: write what was true for this person.";
      } else {
        if (note) { note.remove(); }
        if (key !== "\u0000") { seen[key] = name; }
      }
    });
  }
  var timer = null;
  form.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("textarea[data-field]")) { return; }
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
})();
