// Authoring editor: live Markdown preview (server-rendered, debounced) and image upload.
// The preview HTML comes from the same sanitising renderer learners see.
(function () {
  "use strict";
  var DELAY_MS = 400;

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function setupPreview(textarea) {
    var target = document.getElementById(textarea.dataset.previewTarget);
    var url = textarea.dataset.previewUrl;
    var timer = null;
    var latest = 0;
    if (!target || !url) { return; }
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var ticket = ++latest;
        var body = new FormData();
        body.append("body_md", textarea.value);
        body.append("csrf_token", csrfToken(textarea.form));
        fetch(url, { method: "POST", body: body, credentials: "same-origin",
                     headers: { "X-CSRFToken": csrfToken(textarea.form), "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (data && ticket === latest) { target.innerHTML = data.html; }
          })
          .catch(function () { /* the saved preview stays; saving still works */ });
      }, DELAY_MS);
    });
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || 0;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    var block = (before && !before.endsWith("\n") ? "\n\n" : "") + text + "\n";
    textarea.value = before + block + after;
    textarea.selectionStart = textarea.selectionEnd = start + block.length;
    textarea.dispatchEvent(new Event("input"));
    textarea.focus();
  }

  function setupUpload(form) {
    var textarea = document.getElementById(form.dataset.editor);
    var status = document.getElementById("upload-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "…";
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                           headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.markdown) {
            insertAtCursor(textarea, data.markdown);
            status.textContent = data.markdown;
            form.reset();
          } else {
            status.textContent = data.error || data.message || "";
          }
        })
        .catch(function () { status.textContent = form.dataset.failed || "×"; });
    });
  }

  document.querySelectorAll("textarea[data-preview-url]").forEach(setupPreview);
  document.querySelectorAll("form#image-upload").forEach(setupUpload);
})();
