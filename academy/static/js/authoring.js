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

  // Without script the upload button sends the whole lesson form (the server stores the image
  // and re-shows the page); with script only the image goes, and its Markdown lands at the cursor.
  function setupUpload(box) {
    var textarea = document.getElementById(box.dataset.editor);
    var status = document.getElementById("upload-status");
    var file = box.querySelector("input[type=file]");
    var alt = box.querySelector("input[name=image_alt]");
    var button = box.querySelector("button[value=upload]");
    if (!textarea || !file || !button || !box.dataset.uploadUrl) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (!file.files.length) { file.focus(); return; }
      var body = new FormData();
      body.append("file", file.files[0]);
      body.append("alt", alt ? alt.value : "");
      body.append("csrf_token", csrfToken(textarea.form));
      status.textContent = "…";
      fetch(box.dataset.uploadUrl, { method: "POST", body: body, credentials: "same-origin",
                                     headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.markdown) {
            insertAtCursor(textarea, data.markdown);
            status.textContent = data.markdown;
            file.value = "";
            if (alt) { alt.value = ""; }
          } else {
            status.textContent = data.error || data.message || "";
          }
        })
        .catch(function () { status.textContent = box.dataset.failed || "×"; });
    });
  }

  function setupKindSelector(select) {
    // Choosing "Đúng/Sai" fills the first two choices when they are still empty.
    var texts = document.querySelectorAll("input[name$='-text']");
    select.addEventListener("change", function () {
      if (select.value !== "true_false" || texts.length < 2) { return; }
      if (!texts[0].value && !texts[1].value) {
        texts[0].value = select.dataset.trueLabel || "Đúng";
        texts[1].value = select.dataset.falseLabel || "Sai";
      }
    });
  }

  document.querySelectorAll("textarea[data-preview-url]").forEach(setupPreview);
  document.querySelectorAll("#image-upload[data-upload-url]").forEach(setupUpload);
  document.querySelectorAll("select[data-kind-selector]").forEach(setupKindSelector);
})();
