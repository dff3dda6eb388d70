// Starts Redoc on /schema/redoc from a file served by AutBot, so that the page's policy needs no inline
// script. The spec URL comes from the container's data-spec-url attribute. Redoc's telemetry (traces sent
// to its vendor) is off: the page talks to this server only.
import { init } from "./vendor/redoc/redoc.standalone.js";

const container = document.getElementById("redoc-container");
init(container.dataset.specUrl, { disableTelemetry: true, router: "hash" }, container);
