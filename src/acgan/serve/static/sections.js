// The page's three views of one face: Keep (the face in every hair and every eye colour), the table of every
// colour pair for one seed, and Morph. Each asks the backend, so each works in both modes.
import { $, busy, element, faceImage, fileName } from "./dom.js";
import { readForm, readInteger, readSeed } from "./forms.js";
import { attempt } from "./status.js";

const STRIP_LIMIT = 32; // colours per Keep strip

function downloadLink(page, face, width) {
  return element("a", { href: face.png, download: fileName(face), title: `Download ${fileName(face)}` },
    faceImage(face, page.info.resolution, width));
}

// --- Keep -------------------------------------------------------------------------------------------------------

export async function keepFace(page, face, button) {
  const out = $("#keep-out");
  const hair = page.info.hair.slice(0, STRIP_LIMIT).map((s) => ({ hair: s.name, eyes: face.eyes }));
  const eyes = page.info.eyes.slice(0, STRIP_LIMIT).map((s) => ({ hair: face.hair, eyes: s.name }));
  $("#keep").scrollIntoView({ behavior: "smooth", block: "start" });
  await busy(button, out, () => attempt(async () => {
    const faces = await page.backend.recolour({ seed: face.seed, pairs: [...hair, ...eyes] });
    const strip = (list, attribute) => list.map((f) => {
      const current = f.hair === face.hair && f.eyes === face.eyes;
      return element("figure", { class: current ? "face current" : "face" },
        downloadLink(page, f), element("figcaption", {}, page.colours.tag(attribute, f[attribute])));
    });
    $("#keep-origin").replaceChildren(downloadLink(page, face),
      element("p", {}, element("strong", { textContent: `Face #${face.seed}` }),
        `${face.hair} hair, ${face.eyes} eyes: the same noise, drawn again with each colour in turn.`));
    $("#keep-hair").replaceChildren(...strip(faces.slice(0, hair.length), "hair"));
    $("#keep-eyes").replaceChildren(...strip(faces.slice(hair.length), "eyes"));
    $("#keep-hint").hidden = true;
    out.hidden = false;
  }, "keep-error"));
}

// --- every colour pair --------------------------------------------------------------------------------------------

let tableTicket = 0;

// Headers name the colour alone (the caption says hair down, eyes across), so every column is as wide as a face.
function tableHead(page) {
  return element("thead", {}, element("tr", {}, element("td"),
    ...page.info.eyes.map((s) => element("th", { scope: "col", title: `${s.name} eyes` },
      page.colours.tag("eyes", s.name)))));
}

/** Every hair x eye pair drawn from one noise (the table's seed), a row at a time as the rows arrive. */
export async function drawTable(page, event) {
  if (event) event.preventDefault();
  const seed = readForm(() => readSeed($("#table-seed"), "Seed", false), "table-error");
  if (seed === undefined) return;
  const ticket = ++tableTicket;
  const table = $("#pairs-table");
  const body = element("tbody");
  table.replaceChildren(element("caption", { textContent: `Seed ${seed} in every colour pair: hair down, eyes across` }),
    tableHead(page), body);
  $("#table-out").hidden = false;
  await busy($("#table-button"), table, () => attempt(async () => {
    for (const hair of page.info.hair) {
      const pairs = page.info.eyes.map((s) => ({ hair: hair.name, eyes: s.name }));
      const faces = await page.backend.recolour({ seed, pairs });
      if (ticket !== tableTicket) return;
      body.append(element("tr", {}, element("th", { scope: "row" }, page.colours.tag("hair", hair.name, "hair")),
        ...faces.map((face) => element("td", {}, downloadLink(page, face, page.info.resolution)))));
    }
    table.dataset.done = String(seed);
  }, "table-error"));
}

// --- Morph ------------------------------------------------------------------------------------------------------

let morphTicket = 0;

export function setMorphEnd(page, end, face) {
  $(`#${end}-seed`).value = String(face.seed);
  for (const attribute of ["hair", "eyes"]) {
    const select = $(`#${end}-${attribute}`);
    select.value = face[attribute];
    select.dispatchEvent(new Event("change"));
  }
  $("#morph").scrollIntoView({ behavior: "smooth", block: "start" });
  morph(page);
}

function readMorph(page) {
  const end = (side) => ({
    seed: readSeed($(`#${side}-seed`), `${side === "from" ? "From" : "To"} seed`, false),
    hair: $(`#${side}-hair`).value, eyes: $(`#${side}-eyes`).value,
  });
  return { from: end("from"), to: end("to"), steps: readInteger($("#steps"), "Frames", 2, page.info.maxSteps) };
}

export async function morph(page, event) {
  if (event) event.preventDefault();
  const request = readForm(() => readMorph(page), "morph-error");
  if (request === undefined) return;
  const ticket = ++morphTicket;
  await busy($("#morph-button"), $("#morph-frames"), () => attempt(async () => {
    const result = await page.backend.morph(request);
    if (ticket !== morphTicket) return;
    const { from: a, to: b } = result;
    $("#morph-frames").replaceChildren(...result.frames.map((png, i) => element("img", {
      class: "pixel", src: png, width: page.info.resolution, height: page.info.resolution,
      alt: `Frame ${i + 1} of ${result.frames.length}`,
    })));
    $("#morph-gif").src = result.gif;
    $("#morph-gif").alt = `Animation from face ${a.seed} (${a.hair} hair, ${a.eyes} eyes) to face ${b.seed} ` +
      `(${b.hair} hair, ${b.eyes} eyes)`;
    const link = $("#morph-download");
    link.href = result.gif;
    link.download = `acgan-morph-${a.seed}-${a.hair}-${a.eyes}-to-${b.seed}-${b.hair}-${b.eyes}.gif`;
    $("#morph-out").hidden = false;
  }, "morph-error"));
}
