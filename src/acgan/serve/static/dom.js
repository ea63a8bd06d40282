// Small pieces of the page built from data: finding and making elements, error boxes, busy buttons, face pictures,
// downloads. Nothing here sets an inline style attribute (the page runs under style-src 'self'): colours go through
// CSSOM.

/**
 * @typedef {import("./contract.js").Face} Face
 * @typedef {import("./contract.js").Move} Move
 */

/**
 * The page's element that `selector` finds, of the given type (the page's own markup: always there).
 * @template {Element} T
 * @param {string} selector
 * @param {new (...args: any[]) => T} type
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function find(selector, type, root = document) {
  const node = root.querySelector(selector);
  if (!(node instanceof type)) throw new Error(`the page has no ${type.name} ${selector}`);
  return node;
}

/**
 * The HTML element `selector` finds.
 * @param {string} selector
 */
export const $ = (selector) => find(selector, HTMLElement);

/**
 * An element with properties ("class", "data-*", "aria-*", "--custom" CSS properties, or DOM properties).
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElement}
 */
export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = String(value);
    else if (key.startsWith("--")) node.style.setProperty(key, String(value));
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, String(value));
    else /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (node))[key] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/**
 * Show an error in the box `id`, or hide the box (error null).
 * @param {string} id
 * @param {Error | string | null} error
 */
export function showError(id, error) {
  const box = $(`#${id}`);
  box.textContent = error ? String(error instanceof Error ? error.message : error) : "";
  box.hidden = !error;
}

/**
 * Disable a button and mark a region busy while `work` runs.
 * @template T
 * @param {HTMLButtonElement | null} button
 * @param {HTMLElement | null} region
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function busy(button, region, work) {
  button?.classList.add("busy");
  if (button) button.disabled = true;
  if (region) region.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button?.classList.remove("busy");
    if (button) button.disabled = false;
    if (region) region.setAttribute("aria-busy", "false");
  }
}

/** @param {{seed: bigint, hair: string, eyes: string, moves: Move[]}} face */
export function describe(face) {
  const moved = face.moves.length ? ` moved ${face.moves.length === 1 ? "once" : `${face.moves.length} times`}` : "";
  return `seed ${face.seed}${moved}: ${face.hair} hair, ${face.eyes} eyes`;
}

/**
 * A face's PNG file name: its seed, a variation's indices ("v5.2": variation 5, then its variation 2), its colours.
 * @param {{seed: bigint, hair: string, eyes: string, moves: Move[]}} face
 * @param {number} [size]
 * @param {number} [resolution]
 */
export function fileName(face, size, resolution) {
  const upscaled = size && size !== resolution ? `-${size}px` : "";
  const moved = face.moves.length ? `-v${face.moves.map(([index]) => index).join(".")}` : "";
  return `acgan-${face.seed}${moved}-${face.hair}-hair-${face.eyes}-eyes${upscaled}.png`;
}

/**
 * @param {Face} face
 * @param {number} resolution
 * @param {number} [width]
 */
export function faceImage(face, resolution, width) {
  return element("img", {
    class: "pixel", src: face.png, width: width || resolution, height: width || resolution,
    alt: `Face from ${describe(face)}`,
  });
}

/**
 * Save a Blob under a file name, as a click on a download link would.
 * @param {Blob} blob
 * @param {string} name
 */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = element("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
