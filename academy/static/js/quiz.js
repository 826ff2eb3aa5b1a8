// The quiz page, progressively enhanced: names unanswered questions before the form is sent, and
// counts a timed quiz down, sending it as it stands when the time is up. The server enforces both.
(function () {
  "use strict";
  var form = document.querySelector("form[data-quiz]");
  if (!form) { return; }
  var warning = form.querySelector("[data-quiz-warning]");
  var timeUp = false;

  function unanswered() {
    var numbers = [];
    form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      var answered = fieldset.querySelector("input:checked") !== null;
      fieldset.classList.toggle("is-unanswered", !answered);
      if (!answered) { numbers.push(fieldset.dataset.question); }
    });
    return numbers;
  }

  form.addEventListener("submit", function (event) {
    if (timeUp) { return; }
    var numbers = unanswered();
    if (numbers.length === 0) { return; }
    event.preventDefault();
    event.stopPropagation();  // the form is not sent: keep its button enabled (app.js)
    warning.textContent = form.dataset.unansweredMessage.replace("{numbers}", numbers.join(", "));
    warning.classList.remove("d-none");
    warning.focus();
  });

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (fieldset && fieldset.querySelector("input:checked")) {
      fieldset.classList.remove("is-unanswered");
    }
  });

  var timer = document.querySelector("[data-quiz-remaining]");
  if (!timer) { return; }
  var endsAt = Date.now() + Number(timer.dataset.quizRemaining) * 1000;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    timer.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    if (left === 0) {
      timeUp = true;
      window.clearInterval(interval);
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      form.submit();
    }
  }

  var interval = window.setInterval(tick, 1000);
  tick();
})();
