// acgan's page. The same files run in two modes (backend.js): on `acgan serve` the JSON API draws the faces; on a
// static site from `acgan site` the generator runs in this browser. Plain JavaScript modules, no build step.
import { DEVICE_KEY, openBackend, pageMode, Unreachable } from "./backend.js";
import {
  $, buildSwatches, busy, choose, chosen, Colours, element, faceImage, fileName, fillSelect, RANDOM, saveBlob,
  showError,
} from "./dom.js";
import { InputError, readForm, readInteger, readSeed } from "./forms.js";
import { History, renderHistory } from "./history.js";
import { drawTable, keepFace, morph, setMorphEnd } from "./sections.js";
import { MAX_SEED, newSeed } from "./seeds.js";
import { attempt, status, wireRetry } from "./status.js";
import { zipFiles } from "./zip.js";

const DOWNLOAD_SIZES = [64, 128, 256];
const page = { backend: null, info: null, colours: null, history: null, drawn: [], request: null, drawTicket: 0 };

// --- the link: the URL carries the request, so a link draws the same faces ---------------------------------------

const LINK_KEYS = ["hair", "eyes", "n", "seed"];

function linkFor(request) {
  const params = new URLSearchParams({ hair: request.hair, eyes: request.eyes, n: String(request.n),
    seed: String(request.seed) });
  return `${location.pathname}?${params}`;
}

/** Put the link's request into the form; false when the URL holds none. Unknown colours are said, not guessed. */
function applyLink() {
  const params = new URLSearchParams(location.search);
  if (!LINK_KEYS.some((key) => params.has(key))) return false;
  const unknown = [];
  for (const attribute of ["hair", "eyes"]) {
    const name = (params.get(attribute) || RANDOM).trim().toLowerCase();
    if (!choose(attribute, name)) {
      choose(attribute, RANDOM);
      unknown.push(`${attribute} colour "${name}"`);
    }
  }
  if (params.has("n")) $("#count").value = params.get("n");
  $("#seed").value = params.get("seed") || "";
  page.linkProblem = unknown.length ? `This model has no ${unknown.join(" and no ")}: random instead.` : null;
  return true;
}

async function copyLink() {
  const note = $("#tools-note");
  const box = $("#link-box");
  try {
    await navigator.clipboard.writeText(location.href);
    box.hidden = true;
    note.textContent = "Link copied: it opens these faces.";
  } catch { // no clipboard (a page served over plain http to another machine): let the person copy it
    box.value = location.href;
    box.hidden = false;
    box.select();
    note.textContent = "Copy this link:";
  }
}

// --- drawing faces ------------------------------------------------------------------------------------------------

function faceCard(face, index) {
  const action = (text, title, label, onClick) => {
    const button = element("button", { type: "button", textContent: text, title, "aria-label": label });
    button.addEventListener("click", () => onClick(button));
    return button;
  };
  const link = element("a", { href: face.png, download: fileName(face), title: `Download ${fileName(face)}` },
    faceImage(face, page.info.resolution));
  link.addEventListener("click", (event) => downloadFace(event, face));
  return element("figure", { class: "face", "data-index": String(index), "data-seed": String(face.seed) },
    link,
    element("figcaption", {},
      element("span", { class: "seed", textContent: `#${face.seed}` }),
      page.colours.tag("hair", face.hair, "hair"), page.colours.tag("eyes", face.eyes, "eyes")),
    element("div", { class: "actions" },
      action("Keep", "Keep this face, change the colours", `Keep face ${face.seed} and change its colours`,
        (button) => keepFace(page, face, button)),
      action("From", "Start the morph with this face", `Start the morph with face ${face.seed}`,
        () => setMorphEnd(page, "from", face)),
      action("To", "End the morph with this face", `End the morph with face ${face.seed}`,
        () => setMorphEnd(page, "to", face))));
}

function readRequest() {
  const n = readInteger($("#count"), "Faces", 1, page.info.maxFaces);
  const seed = readSeed($("#seed"), "Seed", true) ?? newSeed();
  if (seed + BigInt(n - 1) > MAX_SEED) {
    throw new InputError($("#seed"), `Seed: at most ${MAX_SEED - BigInt(n - 1)} for ${n} faces.`);
  }
  return { hair: chosen("hair"), eyes: chosen("eyes"), n, seed };
}

function showFaces(request, faces) {
  const tableSeed = $("#table-seed");
  if (tableSeed.value === "" || (page.request && tableSeed.value === String(page.request.seed))) {
    tableSeed.value = String(request.seed); // the table follows the draws until someone types another seed
  }
  page.drawn = faces;
  page.request = request;
  $("#results").replaceChildren(...faces.map(faceCard));
  const last = request.seed + BigInt(faces.length - 1);
  $("#results-summary").textContent = `${faces.length} ${faces.length === 1 ? "face" : "faces"} · ` +
    `${request.hair} hair, ${request.eyes} eyes · seed ${request.seed}${faces.length > 1 ? `–${last}` : ""}`;
  $("#result-tools").hidden = false;
  $("#tools-note").textContent = "";
  $("#link-box").hidden = true;
  window.history.replaceState(null, "", linkFor(request));
  const form = $("#draw-form");
  form.dataset.done = String(Number(form.dataset.done || 0) + 1);
}

/** Draw what the form asks for; `remember` adds it to the recent strip (not the page's own first draw). */
async function generate(event, remember = true) {
  if (event) event.preventDefault();
  if (!page.backend) return; // still loading: the status line says so
  const request = readForm(readRequest, "draw-error");
  if (request === undefined) return;
  $("#seed").value = String(request.seed);
  const ticket = ++page.drawTicket;
  await busy($("#generate"), $("#results"), () => attempt(async () => {
    const faces = await page.backend.generate(request);
    if (ticket !== page.drawTicket) return;
    showFaces(request, faces);
    if (remember) {
      page.history.add(request, faces[0].png);
      showHistory();
    }
  }, "draw-error"));
  if (page.linkProblem) showError("draw-error", page.linkProblem);
  page.linkProblem = null;
}

function rollSeed() {
  const dice = $("#dice");
  $("#seed").value = String(newSeed());
  $("#seed").removeAttribute("aria-invalid");
  dice.classList.remove("rolled");
  void dice.offsetWidth; // restart the animation
  dice.classList.add("rolled");
}

// --- downloads ----------------------------------------------------------------------------------------------------

function downloadSize() {
  return Number($("#download-size").value) || page.info.resolution;
}

function fillDownloadSizes() {
  const native = page.info.resolution;
  const sizes = [...new Set([native, ...DOWNLOAD_SIZES])].filter((s) => s >= native).sort((a, b) => a - b);
  $("#download-size").replaceChildren(...sizes.map((size) => element("option", {
    value: String(size), textContent: `${size} px${size === native ? " (as drawn)" : " (upscaled)"}`,
  })));
}

async function downloadFace(event, face) {
  const size = downloadSize();
  if (size === page.info.resolution) return; // the link itself holds the PNG as drawn
  event.preventDefault();
  await attempt(async () => saveBlob(await page.backend.picture(face, size),
    fileName(face, size, page.info.resolution)), "draw-error");
}

async function downloadAll() {
  const size = downloadSize();
  const { drawn, request } = page;
  await busy($("#download-all"), null, () => attempt(async () => {
    const files = [];
    for (const face of drawn) {
      const blob = await page.backend.picture(face, size);
      files.push({ name: fileName(face, size, page.info.resolution), bytes: new Uint8Array(await blob.arrayBuffer()) });
    }
    saveBlob(zipFiles(files), `acgan-${request.seed}-${drawn.length}-faces-${size}px.zip`);
  }, "draw-error"));
}

// --- recent draws ------------------------------------------------------------------------------------------------

function showHistory() {
  const entries = page.history.list();
  $("#history-empty").hidden = entries.length > 0;
  renderHistory($("#history-list"), entries, {
    open: (entry) => {
      choose("hair", entry.hair);
      choose("eyes", entry.eyes);
      $("#count").value = String(entry.n);
      $("#seed").value = entry.seed;
      $("#draw").scrollIntoView({ behavior: "smooth", block: "start" });
      generate();
    },
    remove: (entry) => {
      page.history.remove(entry.id);
      showHistory();
      $("#history-title").focus(); // the button that had focus is gone
    },
  });
}

// --- start ---------------------------------------------------------------------------------------------------------

function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1);
}

function offerDevices() {
  if (!page.info.gpuOffered) return;
  const select = $("#device");
  select.value = localStorage.getItem(DEVICE_KEY) === "webgpu" ? "webgpu" : "wasm";
  select.addEventListener("change", () => {
    localStorage.setItem(DEVICE_KEY, select.value);
    location.reload();
  });
  $("#device-field").hidden = false;
}

function showModel() {
  const { info } = page;
  $("#run-info").textContent = page.backend.label;
  $("#run-info").title = info.source;
  $("#run-info").classList.remove("bad");
  $("#count").max = String(info.maxFaces);
  $("#steps").max = String(info.maxSteps);
  const has = (attribute, name) => info[attribute].some((s) => s.name === name);
  const pick = (attribute, name, fallback) => (has(attribute, name) ? name : info[attribute][fallback].name);
  const redraw = () => $("#draw-form").requestSubmit();
  buildSwatches("hair", info.hair, RANDOM, redraw);
  buildSwatches("eyes", info.eyes, RANDOM, redraw);
  fillSelect($("#from-hair"), "hair", page.colours, info.hair, pick("hair", "blonde", 0));
  fillSelect($("#from-eyes"), "eyes", page.colours, info.eyes, pick("eyes", "blue", 0));
  fillSelect($("#to-hair"), "hair", page.colours, info.hair, pick("hair", "pink", 1));
  fillSelect($("#to-eyes"), "eyes", page.colours, info.eyes, pick("eyes", "green", 1));
  fillDownloadSizes();
  offerDevices();
}

/** Open the backend (in the browser: load the model, with a bar), then draw what the link asks for. */
async function connect() {
  const browser = pageMode() === "browser";
  status(browser ? "Loading the model into your browser…" : "Connecting to the server…",
    { progress: browser ? 0 : null });
  let loading = true; // a download still running after another failed must not cover the failure
  const progress = (loaded, total) => loading && status(
    `Loading the model into your browser: ${megabytes(loaded)} of ${megabytes(total)} MB`, { progress: loaded / total });
  try {
    page.backend = await openBackend(progress);
  } catch (error) {
    loading = false;
    const text = error instanceof Unreachable ? error.message : `The model could not start here: ${error.message}`;
    status(text, { retry: connect });
    $("#run-info").textContent = "not connected";
    $("#run-info").classList.add("bad");
    return;
  }
  loading = false;
  status(null);
  page.info = page.backend.info;
  page.colours = new Colours(page.info);
  page.history = new History(page.info);
  showModel();
  showHistory();
  document.body.dataset.ready = "true";
  const fromLink = applyLink();
  if (!fromLink) rollSeed();
  await Promise.all([generate(null, fromLink), morph(page)]);
}

function wire() {
  document.body.dataset.mode = pageMode();
  wireRetry();
  $("#draw-form").addEventListener("submit", (event) => generate(event));
  $("#morph-form").addEventListener("submit", (event) => morph(page, event));
  $("#table-form").addEventListener("submit", (event) => drawTable(page, event));
  $("#dice").addEventListener("click", () => { rollSeed(); $("#draw-form").requestSubmit(); });
  $("#copy-link").addEventListener("click", copyLink);
  $("#download-all").addEventListener("click", downloadAll);
}

wire();
connect();
