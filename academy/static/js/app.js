// Small progressive enhancements. Everything works without JavaScript.
(function () {
  "use strict";
  // Disable a submit button once its form is sent, so a double click sends one request.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.once === undefined) { return; }
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
      b.disabled = true;
    });
  });
})();
