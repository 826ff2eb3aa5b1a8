// The API's browsable description: Swagger UI (vendored) reading /api/v1/openapi.json.
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui");
  if (!box || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: box.dataset.specUrl,
    domNode: box,
    deepLinking: false,
    persistAuthorization: false,
    tryItOutEnabled: false
  });
  var plain = document.getElementById("api-operations");
  if (plain) { plain.hidden = true; }
})();
