// The static site's service worker (`acgan site` writes it beside index.html, so it may serve the whole site): it
// passes every response of the site through with the two headers that make a page cross-origin isolated (COOP
// same-origin, COEP require-corp), which a static host may not send, so that ONNX Runtime Web can run threads.
// isolation.js registers it; `acgan serve` sends the headers itself and needs no worker.

/** @type {any} the ServiceWorkerGlobalScope (the page's types know only windows) */
const worker = self;

worker.addEventListener("install", () => worker.skipWaiting());
worker.addEventListener("activate", (/** @type {any} */ event) => event.waitUntil(worker.clients.claim()));
worker.addEventListener("fetch", (/** @type {any} */ event) => {
  if (new URL(event.request.url).origin === worker.location.origin) event.respondWith(isolated(event.request));
});

/**
 * The site's answer to `request`, with the isolating headers added.
 * @param {Request} request
 */
async function isolated(request) {
  const response = await fetch(request);
  if (response.type === "opaqueredirect") return response;
  const headers = new Headers(response.headers);
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Cross-Origin-Embedder-Policy", "require-corp");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
