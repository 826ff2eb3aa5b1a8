// Projector check-in screen: every few seconds, asks the JSON endpoint for the QR code of the moment
// and the live count, and redraws them. Without JavaScript the page refreshes itself (meta refresh).
(function () {
  "use strict";
  var root = document.getElementById("checkin-screen");
  if (!root) { return; }
  var delay = parseInt(root.dataset.pollMs, 10) || 3000;
  var lastQr = null;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node && node.textContent !== String(text)) { node.textContent = text; }
  }

  function latestItem(row) {
    var li = el("li", row.name + " ", "border-top py-1");
    li.append(el("span", row.time, "text-body-secondary small"));
    if (row.late) {
      li.append(document.createTextNode(" "), el("span", root.dataset.labelLate, "badge text-bg-warning"));
    }
    return li;
  }

  function draw(data) {
    if (data.qr !== lastQr) {
      document.getElementById("checkin-qr").src = data.qr;
      var url = document.getElementById("checkin-url");
      url.textContent = data.url;
      url.dataset.checkinUrl = data.url;
      lastQr = data.qr;
    }
    setText("checkin-count", data.label);
    setText("checkin-late", data.late);
    setText("checkin-out", data.signed_out);
    var list = document.getElementById("checkin-latest");
    var items = data.latest.length ? data.latest.map(latestItem)
      : [el("li", root.dataset.labelNobody, "text-body-secondary")];
    list.replaceChildren.apply(list, items);
  }

  function poll() {
    fetch(root.dataset.jsonUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { draw(data); } })
      .catch(function () { /* a missed beat: the next one tries again */ })
      .finally(function () { window.setTimeout(poll, delay); });
  }

  lastQr = document.getElementById("checkin-qr").getAttribute("src");
  window.setTimeout(poll, delay);
}());
