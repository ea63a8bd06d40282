// acgan's page: talks to the JSON API of the same server (see /docs). Plain JavaScript, no build step.
"use strict";

const RANDOM = "random";
const MAX_SEED = Number.MAX_SAFE_INTEGER; // seeds past 2**53 exist, but JavaScript numbers cannot hold them exactly

const $ = (selector, root = document) => root.querySelector(selector);
const tags = { hair: [], eyes: [], hex: { hair: {}, eyes: {} }, resolution: 0, maxFaces: 64, maxSteps: 32 };
let drawn = []; // the faces in the grid: {seed, hair, eyes, png}
let drawTicket = 0; // only the newest request may fill the grid (a swatch click redraws at once)
let morphTicket = 0;

// --- talking to the API -------------------------------------------------------------------------------------------

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    throw new Error((data && data.message) || `the server answered ${response.status} ${response.statusText}`);
  }
  return data;
}

function showError(id, error) {
  const box = document.getElementById(id);
  box.textContent = error ? String(error.message || error) : "";
  box.hidden = !error;
}

async function busy(button, region, work) {
  button.disabled = true;
  button.classList.add("busy");
  if (region) region.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
    if (region) region.setAttribute("aria-busy", "false");
  }
}

// --- reading the forms --------------------------------------------------------------------------------------------

class InputError extends Error {
  constructor(input, message) { super(message); this.input = input; }
}

function readSeed(input, optional) {
  const text = input.value.trim();
  input.removeAttribute("aria-invalid");
  if (text === "" && optional) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > MAX_SEED) {
    throw new InputError(input, `Seed: a whole number from 0 to ${MAX_SEED}.`);
  }
  return Number(text);
}

function readInteger(input, label, low, high) {
  const value = Number(input.value);
  input.removeAttribute("aria-invalid");
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new InputError(input, `${label}: a whole number from ${low} to ${high}.`);
  }
  return value;
}

function markInvalid(error) {
  if (error instanceof InputError) {
    error.input.setAttribute("aria-invalid", "true");
    error.input.focus();
  }
}

function chosen(attribute) {
  const checked = document.querySelector(`input[name="${attribute}"]:checked`);
  return checked ? checked.value : RANDOM;
}

// --- building pieces of the page ----------------------------------------------------------------------------------

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function colourTag(attribute, name, suffix) {
  return element("span", { class: "tag" },
    element("i", { style: `--c:${tags.hex[attribute][name] || "#ccc"}`, "aria-hidden": "true" }),
    suffix ? `${name} ${suffix}` : name);
}

function fileName(face) {
  return `acgan-${face.seed}-${face.hair}-hair-${face.eyes}-eyes.png`;
}

function faceImage(face, width) {
  return element("img", {
    class: "pixel", src: `data:image/png;base64,${face.png}`, width: width || tags.resolution,
    height: width || tags.resolution, alt: `Face from seed ${face.seed}: ${face.hair} hair, ${face.eyes} eyes`,
  });
}

function downloadLink(face, width) {
  return element("a", {
    href: `data:image/png;base64,${face.png}`, download: fileName(face),
    title: `Download ${fileName(face)}`,
  }, faceImage(face, width));
}

function faceCard(face, index) {
  const keep = element("button", {
    type: "button", textContent: "Keep", title: "Keep this face, change the colours",
    "aria-label": `Keep face ${face.seed} and change its colours`,
  });
  keep.addEventListener("click", () => keepFace(face, keep));
  const from = element("button", {
    type: "button", textContent: "From", title: "Start the morph with this face",
    "aria-label": `Start the morph with face ${face.seed}`,
  });
  from.addEventListener("click", () => setMorphEnd("from", face));
  const to = element("button", {
    type: "button", textContent: "To", title: "End the morph with this face",
    "aria-label": `End the morph with face ${face.seed}`,
  });
  to.addEventListener("click", () => setMorphEnd("to", face));
  return element("figure", { class: "face", "data-index": String(index), "data-seed": String(face.seed) },
    downloadLink(face),
    element("figcaption", {},
      element("span", { class: "seed", textContent: `#${face.seed}` }),
      colourTag("hair", face.hair, "hair"), colourTag("eyes", face.eyes, "eyes")),
    element("div", { class: "actions" }, keep, from, to));
}

function swatchOption(attribute, name, hex, checked) {
  const random = name === RANDOM;
  const input = element("input", { type: "radio", name: attribute, value: name, checked });
  input.addEventListener("change", () => $("#draw-form").requestSubmit());
  return element("label", { class: random ? "swatch random" : "swatch", title: `${name} ${attribute}` },
    input,
    element("span", { class: "dot", style: random ? "" : `--c:${hex}`, "aria-hidden": "true",
                      textContent: random ? "?" : "" }),
    element("span", { class: "name", textContent: name }));
}

function buildSwatches(attribute, list, initial) {
  const box = document.getElementById(`${attribute}-swatches`);
  box.replaceChildren(
    swatchOption(attribute, RANDOM, "", initial === RANDOM),
    ...list.map((s) => swatchOption(attribute, s.name, s.hex, s.name === initial)));
}

function fillSelect(select, attribute, list, initial) {
  select.replaceChildren(...[RANDOM, ...list.map((s) => s.name)].map(
    (name) => element("option", { value: name, textContent: name, selected: name === initial })));
  const dot = select.parentElement.querySelector(".dot");
  const paint = () => {
    dot.classList.toggle("random", select.value === RANDOM);
    dot.style.setProperty("--c", tags.hex[attribute][select.value] || "#ccc");
  };
  select.addEventListener("change", paint);
  paint();
}

// --- the three features -------------------------------------------------------------------------------------------

async function generate(event) {
  if (event) event.preventDefault();
  const form = $("#draw-form");
  const results = $("#results");
  let body;
  try {
    body = {
      hair: chosen("hair"), eyes: chosen("eyes"),
      n: readInteger($("#count"), "Faces", 1, tags.maxFaces), seed: readSeed($("#seed"), true),
    };
    if (body.seed !== undefined && body.seed + body.n - 1 > MAX_SEED) {
      throw new InputError($("#seed"), "Seed: too large for this many faces.");
    }
  } catch (error) {
    markInvalid(error);
    showError("draw-error", error);
    return;
  }
  showError("draw-error", null);
  const ticket = ++drawTicket;
  await busy($("#generate"), results, async () => {
    try {
      const data = await api("/api/generate", body);
      if (ticket !== drawTicket) return;
      $("#seed").value = String(data.seed);
      drawn = data.faces;
      results.replaceChildren(...drawn.map(faceCard));
      const last = data.seed + drawn.length - 1;
      const colours = `${body.hair === RANDOM ? "random" : body.hair} hair, ${body.eyes === RANDOM ? "random" : body.eyes} eyes`;
      $("#results-summary").textContent =
        `${drawn.length} ${drawn.length === 1 ? "face" : "faces"} · ${colours} · seed ${data.seed}` +
        (drawn.length > 1 ? `–${last}` : "");
      form.dataset.done = String(Number(form.dataset.done || 0) + 1);
    } catch (error) {
      showError("draw-error", error);
    }
  });
}

async function keepFace(face, button) {
  const out = $("#keep-out");
  const hair = tags.hair.slice(0, 32).map((s) => ({ hair: s.name, eyes: face.eyes }));
  const eyes = tags.eyes.slice(0, 32).map((s) => ({ hair: face.hair, eyes: s.name }));
  $("#keep").scrollIntoView({ behavior: "smooth", block: "start" });
  await busy(button, out, async () => {
    try {
      const data = await api("/api/recolour", { seed: face.seed, pairs: [...hair, ...eyes] });
      const strip = (faces, attribute) => faces.map((f) => {
        const current = f.hair === face.hair && f.eyes === face.eyes;
        return element("figure", { class: current ? "face current" : "face" },
          downloadLink(f), element("figcaption", {}, colourTag(attribute, f[attribute])));
      });
      $("#keep-origin").replaceChildren(
        downloadLink(face),
        element("p", {}, element("strong", { textContent: `Face #${face.seed}` }),
          `${face.hair} hair, ${face.eyes} eyes: the same noise, drawn again with each colour in turn.`));
      $("#keep-hair").replaceChildren(...strip(data.faces.slice(0, hair.length), "hair"));
      $("#keep-eyes").replaceChildren(...strip(data.faces.slice(hair.length), "eyes"));
      $("#keep-hint").hidden = true;
      out.hidden = false;
      showError("keep-error", null);
    } catch (error) {
      showError("keep-error", error);
    }
  });
}

function setMorphEnd(end, face) {
  $(`#${end}-seed`).value = String(face.seed);
  for (const attribute of ["hair", "eyes"]) {
    const select = $(`#${end}-${attribute}`);
    select.value = face[attribute];
    select.dispatchEvent(new Event("change"));
  }
  $("#morph").scrollIntoView({ behavior: "smooth", block: "start" });
  morph();
}

async function morph(event) {
  if (event) event.preventDefault();
  const out = $("#morph-out");
  let body;
  try {
    const end = (side) => ({
      seed: readSeed($(`#${side}-seed`), false), hair: $(`#${side}-hair`).value, eyes: $(`#${side}-eyes`).value,
    });
    body = { from: end("from"), to: end("to"), steps: readInteger($("#steps"), "Frames", 2, tags.maxSteps) };
  } catch (error) {
    markInvalid(error);
    showError("morph-error", error);
    return;
  }
  showError("morph-error", null);
  const ticket = ++morphTicket;
  await busy($("#morph-button"), $("#morph-frames"), async () => {
    try {
      const data = await api("/api/morph", body);
      if (ticket !== morphTicket) return;
      const a = data.from;
      const b = data.to;
      $("#morph-frames").replaceChildren(...data.frames.map((png, i) => element("img", {
        class: "pixel", src: `data:image/png;base64,${png}`, width: tags.resolution, height: tags.resolution,
        alt: `Frame ${i + 1} of ${data.frames.length}`,
      })));
      const gif = `data:image/gif;base64,${data.gif}`;
      $("#morph-gif").src = gif;
      $("#morph-gif").alt = `Animation from face ${a.seed} (${a.hair} hair, ${a.eyes} eyes) to face ${b.seed} ` +
        `(${b.hair} hair, ${b.eyes} eyes)`;
      const link = $("#morph-download");
      link.href = gif;
      link.download = `acgan-morph-${a.seed}-${a.hair}-${a.eyes}-to-${b.seed}-${b.hair}-${b.eyes}.gif`;
      out.hidden = false;
    } catch (error) {
      showError("morph-error", error);
    }
  });
}

// --- start ----------------------------------------------------------------------------------------------------------

function rollSeed() {
  const dice = $("#dice");
  $("#seed").value = String(Math.floor(Math.random() * 1e9));
  $("#seed").removeAttribute("aria-invalid");
  dice.classList.remove("rolled");
  void dice.offsetWidth; // restart the animation
  dice.classList.add("rolled");
}

async function start() {
  $("#draw-form").addEventListener("submit", generate);
  $("#morph-form").addEventListener("submit", morph);
  $("#dice").addEventListener("click", () => { rollSeed(); $("#draw-form").requestSubmit(); });
  try {
    const [info, health] = await Promise.all([api("/api/tags"), api("/api/healthz")]);
    tags.hair = info.hair;
    tags.eyes = info.eyes;
    tags.resolution = info.resolution;
    tags.maxFaces = info.max_faces;
    tags.maxSteps = info.max_steps;
    for (const attribute of ["hair", "eyes"]) {
      for (const s of info[attribute]) tags.hex[attribute][s.name] = s.hex;
    }
    $("#count").max = String(tags.maxFaces);
    $("#steps").max = String(tags.maxSteps);
    $("#run-info").textContent = `${health.resolution} px · step ${health.step} · ${health.backend}`;
    $("#run-info").title = health.source;
  } catch (error) {
    $("#run-info").textContent = `cannot reach the model: ${error.message}`;
    $("#run-info").classList.add("bad");
    return;
  }
  const has = (attribute, name) => tags[attribute].some((s) => s.name === name);
  const pick = (attribute, name, fallback) => (has(attribute, name) ? name : tags[attribute][fallback].name);
  buildSwatches("hair", tags.hair, RANDOM);
  buildSwatches("eyes", tags.eyes, RANDOM);
  fillSelect($("#from-hair"), "hair", tags.hair, pick("hair", "blonde", 0));
  fillSelect($("#from-eyes"), "eyes", tags.eyes, pick("eyes", "blue", 0));
  fillSelect($("#to-hair"), "hair", tags.hair, pick("hair", "pink", 1));
  fillSelect($("#to-eyes"), "eyes", tags.eyes, pick("eyes", "green", 1));
  rollSeed();
  document.body.dataset.ready = "true";
  await Promise.all([generate(), morph()]);
}

document.addEventListener("DOMContentLoaded", start);
