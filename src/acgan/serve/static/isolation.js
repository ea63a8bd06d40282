// Cross-origin isolation for a static site: ONNX Runtime Web runs threads only on a page that is isolated, which
// takes two response headers (COOP and COEP). `acgan serve` sends them; a static host may not, so the page registers
// the site's service worker (isolation-worker.js), which adds them, and loads itself again through it, once.

const TRIED = "acgan.isolation-tried"; // sessionStorage: the reload happened once in this tab
const WORKER = "isolation-worker.js"; // beside index.html, so its scope is the whole site
const WAIT_MS = 3000; // for the worker to take over the page before going on without it

/** @param {number} ms */
const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Whether the reload has been tried in this tab (and mark it tried); true when storage is off, so never twice. */
function triedBefore() {
  try {
    const tried = sessionStorage.getItem(TRIED) !== null;
    sessionStorage.setItem(TRIED, "1");
    return tried;
  } catch {
    return true;
  }
}

/** Register the worker and wait until it serves this page. */
async function takenOver() {
  const { serviceWorker } = navigator;
  await serviceWorker.register(WORKER);
  if (serviceWorker.controller) return;
  await new Promise((resolve) => { serviceWorker.addEventListener("controllerchange", resolve, { once: true }); });
}

/**
 * Make the page cross-origin isolated when it is not and can be: true when the page is reloading for it (the
 * caller then stops), false when it goes on as it is (isolated already, no service workers here, or tried once).
 */
export async function isolate() {
  if (crossOriginIsolated || !("serviceWorker" in navigator) || !isSecureContext || triedBefore()) return false;
  try {
    await Promise.race([takenOver(), pause(WAIT_MS)]); // a registration that never settles must not stop the page
  } catch {
    return false; // refused (a browser setting, a private window): one thread
  }
  if (!navigator.serviceWorker.controller) return false;
  location.reload();
  return true;
}
