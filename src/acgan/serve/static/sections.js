// The page's four views of one face: More like this (a row of its variations), Keep (the face in every hair and
// every eye colour), the table of every colour pair for one seed, and Morph. Each asks the page's FaceGenerator, so
// each works in both modes.
import { $, busy, element, faceImage, find, fileName, showError } from "./dom.js";
import { chosenTruncation, readForm, readInteger, requireSeed } from "./forms.js";
import { countMoves } from "./history.js";
import { attempt } from "./status.js";

/**
 * @typedef {import("./contract.js").Face} Face
 * @typedef {import("./contract.js").FaceRequest} FaceRequest
 * @typedef {import("./contract.js").MorphRequest} MorphRequest
 * @typedef {import("./state.js").PageState} PageState
 * @typedef {"hair" | "eyes"} Attribute
 */

const STRIP_LIMIT = 32; // colours per Keep strip

/**
 * @param {PageState} page
 * @param {Face} face
 * @param {number} [width]
 */
function downloadLink(page, face, width) {
  return element("a", { href: face.png, download: fileName(face), title: `Download ${fileName(face)}` },
    faceImage(face, page.contract.resolution, width));
}

// --- More like this ------------------------------------------------------------------------------------------------

/**
 * A face as a request names it: what a FaceGenerator needs to draw it again.
 * @param {Face} face
 * @returns {FaceRequest}
 */
export const requestOf = ({ seed, hair, eyes, moves }) => ({ seed, hair, eyes, moves });

/**
 * The row of variations of `face` (the contract's count of them, at the distance chosen): variation k adds the move
 * [k, distance] to its moves; `pick` makes one the face.
 * @param {PageState} page
 * @param {Face} face
 * @param {(face: Face) => void} pick
 */
export async function drawVariations(page, face, pick) {
  const { count, maxMoves } = page.contract.variations;
  const row = $("#variations");
  $("#vary").hidden = false;
  const current = page.latest.start("vary");
  if (face.moves.length >= maxMoves) {
    row.replaceChildren();
    showError("vary-error", `This face is ${maxMoves} moves from its seed's face, the most a face may be: vary a ` +
      "face nearer its seed.");
    return;
  }
  const distance = Number(find("#distance", HTMLInputElement).value);
  await busy(null, row, () => attempt(async () => {
    const faces = await page.model.variations({ like: requestOf(face), n: count, distance,
      truncation: face.truncation });
    if (!current()) return;
    showError("vary-error", null);
    row.replaceChildren(...faces.map((variation, k) => {
      const link = element("a", { href: variation.png, title: `Variation ${k}: make it the face, and vary it again` },
        faceImage(variation, page.contract.resolution));
      link.addEventListener("click", (event) => {
        event.preventDefault();
        pick(variation);
      });
      return element("figure", { class: "face", "data-index": String(k) }, link,
        element("figcaption", {}, element("span", { class: "seed", textContent: `+${k}` })));
    }));
    row.dataset.done = `${face.seed}:${face.moves.length}:${distance}`;
  }, "vary-error"));
}

/** Hide the row of variations (the face on show is no longer one face). */
export function hideVariations() {
  $("#vary").hidden = true;
  $("#variations").replaceChildren();
}

// --- Keep -------------------------------------------------------------------------------------------------------

/**
 * @param {PageState} page
 * @param {Face} face
 * @param {HTMLButtonElement} button  the face's Keep button (busy while the strips are drawn)
 */
export async function keepFace(page, face, button) {
  const out = $("#keep-out");
  const hair = page.contract.hair.slice(0, STRIP_LIMIT).map((s) => ({ hair: s.name, eyes: face.eyes }));
  const eyes = page.contract.eyes.slice(0, STRIP_LIMIT).map((s) => ({ hair: face.hair, eyes: s.name }));
  $("#keep").scrollIntoView({ behavior: "smooth", block: "start" });
  await busy(button, out, () => attempt(async () => {
    const faces = await page.model.recolour({ seed: face.seed, moves: face.moves, pairs: [...hair, ...eyes],
      truncation: face.truncation });
    /**
     * @param {Face[]} list
     * @param {Attribute} attribute
     */
    const strip = (list, attribute) => list.map((f) => {
      const current = f.hair === face.hair && f.eyes === face.eyes;
      return element("figure", { class: current ? "face current" : "face" },
        downloadLink(page, f), element("figcaption", {}, page.colours.tag(attribute, f[attribute])));
    });
    $("#keep-origin").replaceChildren(downloadLink(page, face),
      element("p", {}, element("strong", { textContent: `Face #${face.seed}${face.moves.length
        ? ` (${countMoves(face.moves)})` : ""}` }),
        `${face.hair} hair, ${face.eyes} eyes: the same noise, drawn again with each colour in turn.`));
    $("#keep-hair").replaceChildren(...strip(faces.slice(0, hair.length), "hair"));
    $("#keep-eyes").replaceChildren(...strip(faces.slice(hair.length), "eyes"));
    $("#keep-hint").hidden = true;
    out.hidden = false;
  }, "keep-error"));
}

// --- every colour pair --------------------------------------------------------------------------------------------

/**
 * Headers name the colour alone (the caption says hair down, eyes across), so every column is as wide as a face.
 * @param {PageState} page
 */
function tableHead(page) {
  return element("thead", {}, element("tr", {}, element("td"),
    ...page.contract.eyes.map((s) => element("th", { scope: "col", title: `${s.name} eyes` },
      page.colours.tag("eyes", s.name)))));
}

/**
 * Every hair x eye pair drawn from one noise (the table's seed, and the moves of the face on show when it has that
 * seed), a row at a time as the rows arrive.
 * @param {PageState} page
 * @param {Event} [event]
 */
export async function drawTable(page, event) {
  if (event) event.preventDefault();
  const seed = readForm(() => requireSeed(find("#table-seed", HTMLInputElement), "Seed", page.contract.seeds.max),
    "table-error");
  if (seed === undefined) return;
  const moves = page.shown && page.shown.request.seed === seed ? page.shown.request.moves : [];
  const truncation = chosenTruncation();
  const current = page.latest.start("table");
  const table = $("#pairs-table");
  const body = element("tbody");
  const which = moves.length ? `Seed ${seed} (a variation, ${countMoves(moves)})` : `Seed ${seed}`;
  const caption = `${which} in every colour pair: hair down, eyes across`;
  table.replaceChildren(element("caption", { textContent: caption }), tableHead(page), body);
  $("#table-out").hidden = false;
  await busy(find("#table-button", HTMLButtonElement), table, () => attempt(async () => {
    for (const hair of page.contract.hair) {
      const pairs = page.contract.eyes.map((s) => ({ hair: hair.name, eyes: s.name }));
      const faces = await page.model.recolour({ seed, moves, pairs, truncation });
      if (!current()) return;
      body.append(element("tr", {}, element("th", { scope: "row" }, page.colours.tag("hair", hair.name, "hair")),
        ...faces.map((face) => element("td", {}, downloadLink(page, face, page.contract.resolution)))));
    }
    table.dataset.done = String(seed);
  }, "table-error"));
}

// --- Morph ------------------------------------------------------------------------------------------------------

/**
 * Make a face one end of the morph (a variation keeps its moves while the end's seed is its seed), and draw it.
 * @param {PageState} page
 * @param {"from" | "to"} end
 * @param {Face} face
 */
export function setMorphEnd(page, end, face) {
  page.ends[end] = { seed: face.seed, moves: face.moves };
  find(`#${end}-seed`, HTMLInputElement).value = String(face.seed);
  for (const attribute of /** @type {Attribute[]} */ (["hair", "eyes"])) {
    const select = find(`#${end}-${attribute}`, HTMLSelectElement);
    select.value = face[attribute];
    select.dispatchEvent(new Event("change"));
  }
  $("#morph").scrollIntoView({ behavior: "smooth", block: "start" });
  morph(page);
}

/**
 * @param {PageState} page
 * @returns {MorphRequest}
 */
function readMorph(page) {
  /** @param {"from" | "to"} side */
  const end = (side) => {
    const seed = requireSeed(find(`#${side}-seed`, HTMLInputElement), `${side === "from" ? "From" : "To"} seed`,
      page.contract.seeds.max);
    const kept = page.ends[side];
    const moves = kept && kept.seed === seed ? kept.moves : [];
    const note = $(`#${side}-moves`);
    note.textContent = moves.length ? `A variation: ${countMoves(moves)} from this seed's face.` : "";
    note.hidden = !moves.length;
    return { seed, hair: find(`#${side}-hair`, HTMLSelectElement).value,
      eyes: find(`#${side}-eyes`, HTMLSelectElement).value, moves };
  };
  const steps = readInteger(find("#steps", HTMLInputElement), "Frames", 2, page.contract.morph.maxSteps);
  return { from: end("from"), to: end("to"), steps, truncation: chosenTruncation() };
}

/**
 * @param {PageState} page
 * @param {Event} [event]
 */
export async function morph(page, event) {
  if (event) event.preventDefault();
  const request = readForm(() => readMorph(page), "morph-error");
  if (request === undefined) return;
  const current = page.latest.start("morph");
  await busy(find("#morph-button", HTMLButtonElement), $("#morph-frames"), () => attempt(async () => {
    const result = await page.model.morph(request);
    if (!current()) return;
    const { from: a, to: b } = result;
    const side = page.contract.resolution;
    $("#morph-frames").replaceChildren(...result.frames.map((png, i) => element("img", {
      class: "pixel", src: png, width: side, height: side, alt: `Frame ${i + 1} of ${result.frames.length}`,
    })));
    const gif = find("#morph-gif", HTMLImageElement);
    gif.src = result.gif;
    gif.alt = `Animation from face ${a.seed} (${a.hair} hair, ${a.eyes} eyes) to face ${b.seed} ` +
      `(${b.hair} hair, ${b.eyes} eyes)`;
    const link = find("#morph-download", HTMLAnchorElement);
    link.href = result.gif;
    link.download = `acgan-morph-${a.seed}-${a.hair}-${a.eyes}-to-${b.seed}-${b.hair}-${b.eyes}.gif`;
    $("#morph-out").hidden = false;
  }, "morph-error"));
}
