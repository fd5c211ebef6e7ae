// Starts Swagger UI on the OpenAPI 3 document named by #swagger-ui's data-spec-url.
// A static file rather than an inline script, so the docs CSP needs no 'unsafe-inline'.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset.slice(1)], // no top bar
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    validatorUrl: null, // never send the spec to an outside validator
    docExpansion: "none",
    displayOperationId: false,
    displayRequestDuration: true,
    persistAuthorization: true, // the Authorize dialog's values survive a reload (localStorage)
  });
});
