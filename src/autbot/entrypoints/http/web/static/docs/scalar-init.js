// Starts Scalar on /schema/scalar from a file served by AutBot, so that the page's policy needs no inline
// script. The spec URL comes from the container's data-spec-url attribute. Nothing from another host: the
// system fonts instead of Scalar's web fonts, no proxy, no AI agent.
const container = document.getElementById("scalar-container");
Scalar.createApiReference(container, {
  url: container.dataset.specUrl,
  withDefaultFonts: false,
  proxyUrl: undefined,
  agent: { disabled: true },
  telemetry: false,
  showDeveloperTools: "never",
});
