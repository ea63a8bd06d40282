// acgan's page, where it starts: it opens what draws, fills the forms from the contract and wires the controls.
// The same files run in two modes (generator.js): on `acgan serve` the JSON API draws the faces; on a static site
// from `acgan site` the generator runs in this browser. Plain JavaScript modules, no build step; every rule and
// default comes from the model's contract (contract.js), and the page's state lives in one PageState (state.js).
import { DEVICE_KEY, Unreachable } from "./contract.js";
import { $, busy, describe, element, faceImage, fileName, find, saveBlob, showError } from "./dom.js";
import { chosenTruncation, fraction, InputError, movesProblem, movesRule, movesText, readForm, readInteger, readMoves,
  readSeed, setSlider, sliderValue } from "./forms.js";
import { openGenerator, pageMode } from "./generator.js";
import { countMoves, renderHistory } from "./history.js";
import { isolate } from "./isolation.js";
import { drawTable, drawVariations, hideVariations, keepFace, morph, setMorphEnd } from "./sections.js";
import { newSeed } from "./seeds.js";
import { faceOfPng, NotAFace } from "./reopen.js";
import { PageState } from "./state.js";
import { attempt, status, wireRetry } from "./status.js";
import { zipFiles } from "./zip.js";

/**
 * @typedef {import("./contract.js").ColoursRead} ColoursRead
 * @typedef {import("./contract.js").DrawRequest} DrawRequest
 * @typedef {import("./contract.js").Face} Face
 * @typedef {import("./contract.js").Move} Move
 * @typedef {import("./history.js").Entry} Entry
 * @typedef {"hair" | "eyes"} Attribute
 */

const DOWNLOAD_SIZES = [64, 128, 256]; // offered besides the size the model draws (at most the contract's maxSize)
const LINK_KEYS = ["hair", "eyes", "n", "seed", "moves", "truncation", "distance", "readback"];
const SLIDER_STEP = 0.05; // the variety and distance sliders' step (any number in range works in a link)

/** @type {PageState | null} null until the model is open */
let page = null;

const seedField = () => find("#seed", HTMLInputElement);
const countField = () => find("#count", HTMLInputElement);

const varietyField = () => find("#variety", HTMLInputElement);
const readBackField = () => find("#read-back-only", HTMLInputElement);
const distanceField = () => find("#distance", HTMLInputElement);

// --- the link: the URL carries the request, so a link draws the same faces ---------------------------------------

/**
 * The page's link: the request (a variation's moves, a variety other than the default) and, while the row of
 * variations is open, its distance.
 * @param {PageState} state
 * @param {DrawRequest} request
 */
function linkFor(state, request) {
  const params = new URLSearchParams({ hair: request.hair, eyes: request.eyes, n: String(request.n),
    seed: String(request.seed) });
  if (request.moves.length) params.set("moves", movesText(request.moves));
  if (request.truncation !== state.contract.truncation.default) params.set("truncation", String(request.truncation));
  if (state.varying) params.set("distance", String(sliderValue(distanceField())));
  if (request.onlyReadBack) params.set("readback", "only");
  return `${location.pathname}?${String(params).replace(/%3A/g, ":").replace(/%2C/g, ",")}`;
}

/**
 * Put a link's moves, variety and distance into the page; what is wrong with one is the link's error (nothing is
 * drawn from a link read wrongly).
 * @param {PageState} state
 * @param {URLSearchParams} params
 */
function applyLinkedVariation(state, params) {
  const { truncation, variations } = state.contract;
  const seed = params.get("seed") || "";
  const moves = params.has("moves") ? readMoves(params.get("moves") || "", variations) : [];
  const variety = params.has("truncation") ? fraction(params.get("truncation") || "", truncation.above,
    truncation.max) : truncation.default;
  const distance = params.has("distance") ? fraction(params.get("distance") || "", variations.above,
    variations.max) : variations.distance;
  state.linkError = moves === null ? `Moves: index:distance pairs joined by commas (as ${movesText([[3,
    variations.distance], [5, variations.distance]])}), ${movesRule(variations)}.`
    : variety === null ? `Variety (truncation): a number above ${truncation.above}, at most ${truncation.max}.`
      : distance === null ? `Distance: a number above ${variations.above}, at most ${variations.max}.` : null;
  if (moves === null || variety === null || distance === null) return;
  state.variation = /^\d+$/.test(seed) ? { seed: BigInt(seed), moves } : null;
  setSlider(varietyField(), variety);
  setSlider(distanceField(), distance);
  showSliders();
  state.varying = params.has("distance");
}

/**
 * Put the link's request into the form; false when the URL holds none. Unknown colours are said, not guessed.
 * @param {PageState} state
 */
function applyLink(state) {
  const params = new URLSearchParams(location.search);
  if (!LINK_KEYS.some((key) => params.has(key))) return false;
  const { colours } = state;
  const unknown = [];
  for (const attribute of /** @type {Attribute[]} */ (["hair", "eyes"])) {
    const name = (params.get(attribute) || colours.random).trim().toLowerCase();
    if (!colours.choose(attribute, name)) {
      colours.choose(attribute, colours.random);
      unknown.push(`${attribute} colour "${name}"`);
    }
  }
  const n = params.get("n");
  if (n !== null) countField().value = n;
  seedField().value = params.get("seed") || "";
  readBackField().checked = state.model.readsBack && params.get("readback") === "only";
  state.linkProblem = unknown.length ? `This model has no ${unknown.join(" and no ")}: random instead.` : null;
  applyLinkedVariation(state, params);
  return true;
}

async function copyLink() {
  const note = $("#tools-note");
  const box = find("#link-box", HTMLInputElement);
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

/**
 * @param {PageState} state
 * @param {Face} face
 * @param {number} index
 */
function faceCard(state, face, index) {
  /**
   * @param {string} text
   * @param {string} title
   * @param {string} label
   * @param {(button: HTMLButtonElement) => void} onClick
   */
  const action = (text, title, label, onClick) => {
    const button = /** @type {HTMLButtonElement} */ (element("button", { type: "button", textContent: text, title,
      "aria-label": label }));
    button.addEventListener("click", () => onClick(button));
    return button;
  };
  const link = element("a", { href: face.png, title: `Face #${face.seed}: see it large, download it` },
    faceImage(face, state.contract.resolution));
  link.addEventListener("click", (event) => {
    event.preventDefault(); // a preview first: on a phone a tap that downloads at once is a surprise
    preview(state, face);
  });
  return element("figure", { class: "face", "data-index": String(index), "data-seed": String(face.seed) },
    link,
    element("figcaption", {},
      element("span", { class: "seed", textContent: `#${face.seed}` }),
      state.colours.tag("hair", face.hair, "hair"), state.colours.tag("eyes", face.eyes, "eyes")),
    ...(face.read ? [readBack(face, face.read)] : []),
    element("div", { class: "actions" },
      action("More like this", "Faces near this one, to pick from and vary again",
        `More faces like face ${face.seed}`, () => pickFace(state, face)),
      action("Keep", "Keep this face, change the colours", `Keep face ${face.seed} and change its colours`,
        (button) => keepFace(state, face, button)),
      action("From", "Start the morph with this face", `Start the morph with face ${face.seed}`,
        () => setMorphEnd(state, "from", face)),
      action("To", "End the morph with this face", `End the morph with face ${face.seed}`,
        () => setMorphEnd(state, "to", face))));
}

/**
 * Whether the shipped tagger reads the face's colours as asked, and if not what it reads instead.
 * @param {Face} face
 * @param {ColoursRead} read
 */
function readBack(face, read) {
  const missed = [["hair", face.hair, read.hair], ["eyes", face.eyes, read.eyes]]
    .filter(([, asked, seen]) => asked !== seen).map(([attribute, , seen]) => `${seen} ${attribute}`);
  return element("p", {
    class: missed.length ? "read-back missed" : "read-back",
    title: "The colours the shipped tagger, a classifier trained on real faces, reads in this face",
    textContent: missed.length ? `Reads as ${missed.join(", ")}` : "✓ Reads as asked",
  });
}

/**
 * @param {PageState} state
 * @returns {DrawRequest}
 */
function readRequest(state) {
  const { limits, seeds } = state.contract;
  const n = readInteger(countField(), "Faces", 1, limits.maxFaces);
  const seed = readSeed(seedField(), "Seed", true, seeds.max) ?? newSeed(seeds.newBelow);
  if (seed + BigInt(n - 1) > seeds.max) {
    throw new InputError(seedField(), `Seed: at most ${seeds.max - BigInt(n - 1)} for ${n} faces.`);
  }
  const { variation } = state;
  const moves = variation && variation.seed === seed && n === 1 ? variation.moves : [];
  return { hair: state.colours.chosen("hair"), eyes: state.colours.chosen("eyes"), n, seed, moves,
    truncation: chosenTruncation(), onlyReadBack: state.model.readsBack && readBackField().checked };
}

/**
 * @param {PageState} state
 * @param {DrawRequest} request
 * @param {Face[]} faces
 */
function showFaces(state, request, faces) {
  const tableSeed = find("#table-seed", HTMLInputElement);
  if (tableSeed.value === "" || (state.shown && tableSeed.value === String(state.shown.request.seed))) {
    tableSeed.value = String(request.seed); // the table follows the draws until someone types another seed
  }
  state.shown = { request, faces };
  state.variation = request.moves.length ? { seed: request.seed, moves: request.moves } : null;
  $("#results").replaceChildren(...faces.map((face, i) => faceCard(state, face, i)));
  const last = request.seed + BigInt(faces.length - 1);
  const moved = request.moves.length ? ` · a variation, ${countMoves(request.moves)}` : "";
  const variety = request.truncation === state.contract.truncation.default ? "" : ` · variety ${request.truncation}`;
  const kept = request.onlyReadBack ? " · only faces whose colours read back" : "";
  $("#results-summary").textContent = `${faces.length} ${faces.length === 1 ? "face" : "faces"} · ` +
    `${request.hair} hair, ${request.eyes} eyes · seed ${request.seed}${faces.length > 1 ? `–${last}` : ""}` +
    `${moved}${variety}${kept}`;
  $("#seed-face").hidden = !request.moves.length;
  $("#result-tools").hidden = false;
  $("#tools-note").textContent = "";
  $("#link-box").hidden = true;
  state.varying = state.varying && faces.length === 1;
  window.history.replaceState(null, "", linkFor(state, request));
  const form = $("#draw-form");
  form.dataset.done = String(Number(form.dataset.done || 0) + 1);
  if (state.varying) drawVariations(state, faces[0], (face) => pickFace(state, face));
  else hideVariations();
}

/**
 * More like this: make `face` the face on show (one face, its seed, colours and moves), remembered in Recent, and
 * open the row of its variations.
 * @param {PageState} state
 * @param {Face} face
 */
function pickFace(state, face) {
  state.latest.start("draw"); // a draw still on its way is older than this choice
  state.colours.choose("hair", face.hair);
  state.colours.choose("eyes", face.eyes);
  countField().value = "1";
  seedField().value = String(face.seed);
  setSlider(varietyField(), face.truncation);
  showSliders();
  const request = { hair: face.hair, eyes: face.eyes, n: 1, seed: face.seed, moves: face.moves,
    truncation: face.truncation };
  state.varying = true;
  showFaces(state, request, [face]);
  state.history.add(request, face);
  showHistory(state);
  $("#draw").scrollIntoView({ behavior: "smooth", block: "start" });
}

/** Show each slider's value beside it. */
function showSliders() {
  $("#variety-value").textContent = String(sliderValue(varietyField()));
  $("#distance-value").textContent = String(sliderValue(distanceField()));
}

/**
 * Draw what the form asks for; `remember` adds it to the recent strip (not the page's own first draw).
 * @param {Event | null} event
 * @param {boolean} [remember]
 */
async function generate(event, remember = true) {
  if (event) event.preventDefault();
  const state = page;
  if (!state) return; // still loading: the status line says so
  if (state.linkError) {
    showError("draw-error", state.linkError);
    state.linkError = null;
    return;
  }
  const request = readForm(() => readRequest(state), "draw-error");
  if (request === undefined) return;
  seedField().value = String(request.seed);
  const current = state.latest.start("draw");
  await busy(find("#generate", HTMLButtonElement), $("#results"), () => attempt(async () => {
    const faces = await state.model.generate(request);
    if (!current()) return;
    showFaces(state, request, faces);
    if (event) showNewFaces(); // a tap or a submit, not the page's own first draw
    if (remember) {
      state.history.add(request, faces[0]);
      showHistory(state);
    }
  }, "draw-error"));
  if (state.linkProblem) showError("draw-error", state.linkProblem);
  state.linkProblem = null;
}

/**
 * Bring the first new face on screen when it is not (on a phone the colours fill the screen above the faces), by
 * the least scroll: the colours stay as near as they can.
 */
function showNewFaces() {
  const first = document.querySelector("#results figure");
  if (!first) return;
  const box = first.getBoundingClientRect();
  if (box.top >= 0 && box.bottom <= window.innerHeight) return;
  const motion = matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  first.scrollIntoView({ behavior: motion, block: "nearest" });
}

/** @param {PageState} state */
function rollSeed(state) {
  const dice = $("#dice");
  seedField().value = String(newSeed(state.contract.seeds.newBelow));
  seedField().removeAttribute("aria-invalid");
  dice.classList.remove("rolled");
  void dice.offsetWidth; // restart the animation
  dice.classList.add("rolled");
}

// --- a PNG acgan wrote, opened to draw its face again -------------------------------------------------------------

/**
 * Put the face a PNG names into the form and draw it; a file that names none is explained, the faces stay.
 * @param {File} file
 */
async function openPng(file) {
  const state = page;
  if (!state) return;
  let face;
  try {
    face = faceOfPng(new Uint8Array(await file.arrayBuffer()), file.name);
  } catch (error) {
    if (!(error instanceof NotAFace)) throw error;
    showError("draw-error", error);
    return;
  }
  const missing = /** @type {Attribute[]} */ (["hair", "eyes"]).filter((a) => !state.colours.has(a, face[a]));
  if (missing.length) {
    const names = missing.map((a) => `${a} colour "${face[a]}"`).join(" and no ");
    showError("draw-error", `${file.name}: this model has no ${names}.`);
    return;
  }
  const { truncation, variations } = state.contract;
  const variety = face.truncation ?? truncation.default;
  const problem = movesProblem(face.moves, variations);
  if (problem || !(variety > truncation.above && variety <= truncation.max)) {
    showError("draw-error", `${file.name}: its ${problem ? `moves are not a face's (${problem})`
      : `truncation is not above ${truncation.above} and at most ${truncation.max}`}.`);
    return;
  }
  state.colours.choose("hair", face.hair);
  state.colours.choose("eyes", face.eyes);
  seedField().value = String(face.seed);
  state.variation = { seed: face.seed, moves: face.moves };
  if (face.moves.length) countField().value = "1";
  setSlider(varietyField(), variety);
  showSliders();
  find("#draw-form", HTMLFormElement).requestSubmit();
}

function wireOpening() {
  const picker = find("#open-png", HTMLInputElement);
  picker.addEventListener("change", () => {
    if (picker.files && picker.files[0]) openPng(picker.files[0]);
    picker.value = ""; // the same file again is a change too
  });
  /** @param {DragEvent} event */
  const carriesFiles = (event) => Boolean(event.dataTransfer && event.dataTransfer.types.includes("Files"));
  document.addEventListener("dragover", (event) => { if (carriesFiles(event)) event.preventDefault(); });
  document.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // the browser would open the file in place of the page
    const file = event.dataTransfer?.files[0];
    if (file) openPng(file);
  });
}

// --- downloads ----------------------------------------------------------------------------------------------------

/** @param {PageState} state */
function downloadSize(state) {
  return Number(find("#download-size", HTMLSelectElement).value) || state.contract.resolution;
}

/** @param {PageState} state */
function fillDownloadSizes(state) {
  const { resolution, limits } = state.contract;
  const sizes = [...new Set([resolution, ...DOWNLOAD_SIZES])].filter((s) => s >= resolution && s <= limits.maxSize)
    .sort((a, b) => a - b);
  $("#download-size").replaceChildren(...sizes.map((size) => element("option", {
    value: String(size), textContent: `${size} px${size === resolution ? " (as drawn)" : " (upscaled)"}`,
  })));
}

/**
 * @param {PageState} state
 * @param {Event} event
 * @param {Face} face
 */
async function downloadFace(state, event, face) {
  const size = downloadSize(state);
  if (size === state.contract.resolution) return; // the link itself holds the PNG as drawn
  event.preventDefault();
  await attempt(async () => saveBlob(await state.model.picture(face, size),
    fileName(face, size, state.contract.resolution)), "draw-error");
}

/** @type {Face | null} the face in the preview */
let previewed = null;

/**
 * The face large in a dialog, with its download at the size chosen.
 * @param {PageState} state
 * @param {Face} face
 */
function preview(state, face) {
  previewed = face;
  $("#preview-title").textContent = `Face #${face.seed}`;
  const image = find("#preview-image", HTMLImageElement);
  image.src = face.png;
  image.alt = `Face from ${describe(face)}`;
  $("#preview-colours").replaceChildren(state.colours.tag("hair", face.hair, "hair"), " ",
    state.colours.tag("eyes", face.eyes, "eyes"));
  const size = downloadSize(state);
  const link = find("#preview-download", HTMLAnchorElement);
  link.href = face.png;
  link.download = fileName(face, size, state.contract.resolution);
  link.textContent = `Download PNG (${size} px)`;
  find("#preview", HTMLDialogElement).showModal();
}

function wirePreview() {
  const dialog = find("#preview", HTMLDialogElement);
  $("#preview-download").addEventListener("click", (event) => page && previewed && downloadFace(page, event,
    previewed));
  $("#preview-vary").addEventListener("click", () => {
    dialog.close();
    if (page && previewed) pickFace(page, previewed);
  });
  $("#preview-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // the backdrop
}

async function downloadAll() {
  const state = page;
  if (!state || !state.shown) return;
  const size = downloadSize(state);
  const { faces, request } = state.shown;
  await busy(find("#download-all", HTMLButtonElement), null, () => attempt(async () => {
    const files = [];
    for (const face of faces) {
      const blob = await state.model.picture(face, size);
      files.push({ name: fileName(face, size, state.contract.resolution),
        bytes: new Uint8Array(await blob.arrayBuffer()) });
    }
    saveBlob(zipFiles(files), `acgan-${request.seed}-${faces.length}-faces-${size}px.zip`);
  }, "draw-error"));
}

// --- recent draws ------------------------------------------------------------------------------------------------

/** @param {PageState} state */
function showHistory(state) {
  const entries = state.history.list();
  $("#history-empty").hidden = entries.length > 0;
  renderHistory($("#history-list"), entries, {
    open: (entry) => {
      state.colours.choose("hair", entry.hair);
      state.colours.choose("eyes", entry.eyes);
      countField().value = String(entry.n);
      seedField().value = entry.seed;
      state.variation = { seed: BigInt(entry.seed), moves: entry.moves ?? [] };
      setSlider(varietyField(), entry.truncation ?? state.contract.truncation.default);
      showSliders();
      $("#draw").scrollIntoView({ behavior: "smooth", block: "start" });
      generate(null);
    },
    remove: (entry) => {
      state.history.remove(entry.id);
      showHistory(state);
      $("#history-title").focus(); // the button that had focus is gone
    },
  }, state.colours);
}

// --- start ---------------------------------------------------------------------------------------------------------

/** @param {number} bytes */
function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1);
}

/** @param {PageState} state */
function offerDevices(state) {
  if (!state.model.gpuOffered) return;
  const select = find("#device", HTMLSelectElement);
  select.value = localStorage.getItem(DEVICE_KEY) === "webgpu" ? "webgpu" : "wasm";
  select.addEventListener("change", () => {
    localStorage.setItem(DEVICE_KEY, select.value);
    location.reload();
  });
  $("#device-field").hidden = false;
}

/**
 * The forms as the contract says: its colours, limits and defaults.
 * @param {PageState} state
 */
function showModel(state) {
  const { contract, colours } = state;
  const runInfo = $("#run-info");
  runInfo.textContent = state.model.label;
  runInfo.title = contract.source;
  runInfo.classList.remove("bad");
  $("#read-back-field").hidden = !state.model.readsBack;
  countField().max = String(contract.limits.maxFaces);
  countField().value = String(contract.defaults.faces);
  const steps = find("#steps", HTMLInputElement);
  steps.max = String(contract.morph.maxSteps);
  steps.value = String(contract.morph.steps);
  const gif = find("#morph-gif", HTMLImageElement);
  gif.width = contract.morph.size;
  gif.height = contract.morph.size;
  const redraw = () => find("#draw-form", HTMLFormElement).requestSubmit();
  colours.buildSwatches("hair", colours.random, redraw);
  colours.buildSwatches("eyes", colours.random, redraw);
  const ends = /** @type {const} */ ([["from", contract.defaults.morphFrom], ["to", contract.defaults.morphTo]]);
  for (const [side, end] of ends) {
    find(`#${side}-seed`, HTMLInputElement).value = String(end.seed);
    colours.fillSelect(find(`#${side}-hair`, HTMLSelectElement), "hair", end.hair);
    colours.fillSelect(find(`#${side}-eyes`, HTMLSelectElement), "eyes", end.eyes);
  }
  const sliders = /** @type {const} */ ([[varietyField(), contract.truncation],
    [distanceField(), contract.variations]]);
  for (const [field, rules] of sliders) {
    field.min = String(rules.above + SLIDER_STEP);
    field.max = String(rules.max);
    field.step = String(SLIDER_STEP);
  }
  setSlider(varietyField(), contract.truncation.default);
  setSlider(distanceField(), contract.variations.distance);
  showSliders();
  fillDownloadSizes(state);
  offerDevices(state);
}

/** Open what draws (in the browser: load the model, with a bar), then draw what the link asks for. */
async function connect() {
  const browser = pageMode() === "browser";
  if (browser && await isolate()) return; // the page loads again, isolated, before it loads the model
  status(browser ? "Loading the model into your browser…" : "Connecting to the server…",
    { progress: browser ? 0 : null });
  let loading = true; // a download still running after another failed must not cover the failure
  /**
   * @param {number} loaded
   * @param {number} total
   */
  const progress = (loaded, total) => loading && status(
    `Loading the model into your browser: ${megabytes(loaded)} of ${megabytes(total)} MB`,
    { progress: loaded / total });
  let model;
  try {
    model = await openGenerator(progress);
  } catch (error) {
    loading = false;
    const text = error instanceof Unreachable ? error.message
      : `The model could not start here: ${error instanceof Error ? error.message : error}`;
    status(text, { retry: connect });
    $("#run-info").textContent = "not connected";
    $("#run-info").classList.add("bad");
    return;
  }
  loading = false;
  status(null);
  const state = new PageState(model);
  page = state;
  showModel(state);
  showHistory(state);
  document.body.dataset.ready = "true";
  const fromLink = applyLink(state);
  if (!fromLink) rollSeed(state);
  await Promise.all([generate(null, fromLink), morph(state)]);
}

function wire() {
  document.body.dataset.mode = pageMode();
  wireRetry();
  $("#draw-form").addEventListener("submit", (event) => generate(event));
  $("#morph-form").addEventListener("submit", (event) => page && morph(page, event));
  $("#table-form").addEventListener("submit", (event) => page && drawTable(page, event));
  $("#dice").addEventListener("click", () => {
    if (!page) return;
    rollSeed(page);
    find("#draw-form", HTMLFormElement).requestSubmit();
  });
  $("#copy-link").addEventListener("click", copyLink);
  for (const field of [varietyField(), distanceField()]) {
    field.addEventListener("input", () => {
      delete field.dataset.exact; // the slider's own number from now on
      showSliders();
    });
  }
  for (const field of [varietyField(), readBackField()]) {
    field.addEventListener("change", () => page && find("#draw-form", HTMLFormElement).requestSubmit());
  }
  distanceField().addEventListener("change", () => {
    if (!page || !page.shown) return;
    window.history.replaceState(null, "", linkFor(page, page.shown.request));
    drawVariations(page, page.shown.faces[0], (face) => page && pickFace(page, face));
  });
  $("#vary-close").addEventListener("click", () => {
    if (!page || !page.shown) return;
    page.varying = false;
    hideVariations();
    window.history.replaceState(null, "", linkFor(page, page.shown.request));
  });
  $("#seed-face").addEventListener("click", () => {
    if (!page) return;
    page.variation = null;
    find("#draw-form", HTMLFormElement).requestSubmit();
  });
  wireOpening();
  wirePreview();
  $("#download-all").addEventListener("click", downloadAll);
}

wire();
connect();
