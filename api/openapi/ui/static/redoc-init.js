// Renders ReDoc (vendored bundle, npm redoc 3.0.1) on the document named by #redoc's data-spec-url.
// Telemetry is off: the page must never contact a third party (the docs CSP would block it too).
import { init } from "./redoc/redoc.standalone.js";

const root = document.getElementById("redoc");
init(root.dataset.specUrl, { disableTelemetry: true }, root);
