// Starts Swagger UI on the /schema pages from a file served by AutBot, so that the pages' policy needs no
// inline script. The spec URL comes from the container's data-spec-url attribute.
const container = document.getElementById("swagger-container");
window.ui = SwaggerUIBundle({
  url: container.dataset.specUrl,
  dom_id: "#swagger-container",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
