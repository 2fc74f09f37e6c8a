// Cadence: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Selects marked data-autosubmit submit their form on change (the site switcher).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });
  // Forms marked data-confirm ask before a change that tells patients (closing a day).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  // Copy buttons (data-copy="#input-id") appear only where the clipboard can be written.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) { return; }
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = "Copied";
      });
    });
  });
  // Inactivity: after the site's idle timeout with no input, reload; the server then signs
  // the person out and the screen no longer shows patient information.
  var seconds = parseInt(document.body.getAttribute("data-idle-seconds") || "0", 10);
  if (seconds > 0) {
    var last = Date.now(), pinged = Date.now();
    var keepalive = document.body.getAttribute("data-keepalive-url");
    ["keydown", "pointerdown", "scroll", "input"].forEach(function (name) {
      document.addEventListener(name, function () {
        last = Date.now();
        // Typing into a long form is activity too: tell the server, at most once a minute,
        // so a note being written is never lost to the inactivity sign-out.
        if (keepalive && last - pinged > 60000) {
          pinged = last;
          fetch(keepalive, { method: "GET", credentials: "same-origin" });
        }
      }, { passive: true });
    });
    setInterval(function () {
      if (Date.now() - last > (seconds + 5) * 1000) { window.location.reload(); }
    }, 15000);
  }
})();
