// Recent draws, kept in this browser (localStorage) per model: each is a request (colours, seed, count, a
// variation's moves, the variety) with the picture of its first face, newest first. Opening one draws it again; it
// is the same faces, so only the request and a thumbnail are kept.
import { element } from "./dom.js";

/**
 * @typedef {import("./contract.js").DrawRequest} DrawRequest
 * @typedef {import("./contract.js").Move} Move
 * @typedef {import("./colours.js").ColourChoices} ColourChoices
 * @typedef {{hair: string, eyes: string}} ColourPair
 * @typedef {{hair: string, eyes: string, n: number, seed: string, id: string, thumbnail: string,
 *   first?: ColourPair, moves?: Move[], truncation?: number}} Entry  a draw as kept: its seed as digits (JSON has
 *   no BigInt), the colours its first face (the thumbnail) got, "random" resolved (absent in entries kept before
 *   they were), and its moves and truncation (absent in entries kept before variations: none, and the default)
 */

const LIMIT = 24;

export class History {
  /**
   * @param {{source: string, step: number, truncation: {default: number}}} model  another model's seeds would be
   *   other faces
   */
  constructor({ source, step, truncation }) {
    this.key = `acgan.history:${source}@${step}`;
    this.truncation = truncation.default;
  }

  /** @returns {Entry[]} */
  list() {
    try {
      const entries = JSON.parse(localStorage.getItem(this.key) || "[]");
      return Array.isArray(entries) ? entries.filter((e) => e && typeof e.seed === "string") : [];
    } catch {
      return []; // storage off or its content damaged: start afresh
    }
  }

  /** @param {Entry[]} entries */
  save(entries) {
    for (let keep = entries.length; keep > 0; keep -= 1) {
      try {
        localStorage.setItem(this.key, JSON.stringify(entries.slice(0, keep)));
        return;
      } catch { /* over the quota: drop the oldest and try again */ }
    }
  }

  /**
   * Remember a draw (moved to the front if it is there already).
   * @param {DrawRequest} request
   * @param {{png: string, hair: string, eyes: string}} first  its first face: the thumbnail and its colours
   */
  add(request, first) {
    const entry = { ...request, seed: String(request.seed), id: requestId(request, this.truncation),
      thumbnail: first.png, first: { hair: first.hair, eyes: first.eyes } };
    this.save([entry, ...this.list().filter((e) => e.id !== entry.id)].slice(0, LIMIT));
  }

  /** @param {string} id */
  remove(id) {
    this.save(this.list().filter((e) => e.id !== id));
  }
}

/**
 * A draw's identity among the recent ones: its colours, count and seed, and a variation's moves and a variety other
 * than the default (so a draw kept before either existed is the same draw).
 * @param {DrawRequest} request
 * @param {number} defaultTruncation
 */
export function requestId({ hair, eyes, n, seed, moves, truncation }, defaultTruncation) {
  const variety = truncation === defaultTruncation ? "" : `|t${truncation}`;
  return `${hair}|${eyes}|${n}|${seed}${moves.map(([k, d]) => `|${k}:${d}`).join("")}${variety}`;
}

/**
 * @param {Move[]} [moves]
 * @returns {string}
 */
export function countMoves(moves = []) {
  return moves.length === 1 ? "1 move" : `${moves.length} moves`;
}

/** @param {Entry} entry */
function describeDraw(entry) {
  const faces = entry.moves?.length ? `a variation (${countMoves(entry.moves)}) of the face`
    : entry.n === 1 ? "1 face" : `${entry.n} faces`;
  return `${faces} from seed ${entry.seed}, ${entry.hair} hair, ${entry.eyes} eyes`;
}

/**
 * The strip: a button per draw that opens it (its first face, its whole seed, the colours that face got), and one
 * that removes it.
 * @param {HTMLElement} list
 * @param {Entry[]} entries
 * @param {{open: (entry: Entry) => void, remove: (entry: Entry) => void}} actions
 * @param {ColourChoices} colours
 */
export function renderHistory(list, entries, { open, remove }, colours) {
  list.replaceChildren(...entries.map((entry) => {
    const first = entry.first ?? entry;
    const openButton = element("button", {
      type: "button", class: "history-open", title: `Draw again: ${describeDraw(entry)}`,
      "aria-label": `Draw again: ${describeDraw(entry)}`,
    }, element("img", { class: "pixel", src: entry.thumbnail, alt: "", width: 64, height: 64 }),
    element("span", { class: "history-seed", textContent: `#${entry.seed}${entry.n > 1 ? ` ×${entry.n}` : ""}` }),
    entry.moves?.length ? element("span", { class: "history-moves", textContent: countMoves(entry.moves) }) : null,
    element("span", { class: "history-colours" }, colours.tag("hair", first.hair), colours.tag("eyes", first.eyes)));
    openButton.addEventListener("click", () => open(entry));
    const removeButton = element("button", {
      type: "button", class: "history-remove", textContent: "×", title: "Remove from recent",
      "aria-label": `Remove ${describeDraw(entry)} from recent`,
    });
    removeButton.addEventListener("click", () => remove(entry));
    return element("li", { "data-id": entry.id }, openButton, removeButton);
  }));
}
