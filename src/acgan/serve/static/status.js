// The line under the header that says what the page is waiting for: the model loading (with a bar), or the
// server gone (with a button that tries the same thing again). Raw errors such as "Failed to fetch" never show.
import { Unreachable } from "./contract.js";
import { $, find, showError } from "./dom.js";

/** @type {(() => void) | null} what the status line's "Try again" does */
let retryAction = null;
let started = 0; // attempts begun so far
let failedAfter = 0; // how many had begun when the last one found what draws unreachable

/**
 * Show `text` (null hides the line); `progress` in [0, 1] shows the bar, `retry` the button.
 * @param {string | null} text
 * @param {{progress?: number | null, retry?: (() => void) | null}} [options]
 */
export function status(text, { progress = null, retry = null } = {}) {
  const box = $("#status");
  box.hidden = !text;
  box.classList.toggle("bad", Boolean(retry));
  box.setAttribute("role", retry ? "alert" : "status");
  $("#status-text").textContent = text || "";
  const bar = find("#status-progress", HTMLProgressElement);
  bar.hidden = progress === null;
  if (progress !== null) bar.value = progress;
  retryAction = retry;
  $("#status-retry").hidden = !retry;
}

export function wireRetry() {
  $("#status-retry").addEventListener("click", () => {
    const again = retryAction;
    status(null);
    if (again) again();
  });
}

/**
 * Run `work`; an error goes to the box `errorId`, except what draws being unreachable, which gets the status line
 * and a retry of the same work.
 * @param {() => Promise<void>} work
 * @param {string} errorId
 * @returns {Promise<void>}
 */
export async function attempt(work, errorId) {
  const number = ++started;
  try {
    await work();
    showError(errorId, null);
    // It answers again; an answer to a request sent before the failure proves nothing, and would hide the retry.
    if (retryAction && number > failedAfter) status(null);
  } catch (error) {
    if (error instanceof Unreachable) {
      failedAfter = started;
      status(error.message, { retry: () => attempt(work, errorId) });
    } else {
      showError(errorId, error instanceof Error ? error : String(error));
    }
  }
}
