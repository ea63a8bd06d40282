// Small pieces of the page built from data: elements, colour tags, face pictures, colour choices.
// Nothing here sets an inline style attribute (the page runs under style-src 'self'): colours go through CSSOM.

export const RANDOM = "random";

export const $ = (selector, root = document) => root.querySelector(selector);

/** An element with properties ("class", "data-*", "aria-*", "--custom" CSS properties, or DOM properties). */
export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("--")) node.style.setProperty(key, value);
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

export function showError(id, error) {
  const box = document.getElementById(id);
  box.textContent = error ? String(error.message || error) : "";
  box.hidden = !error;
}

/** Disable a button and mark a region busy while `work` runs. */
export async function busy(button, region, work) {
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

export class Colours {
  constructor(info) {
    this.hex = { hair: {}, eyes: {} };
    for (const attribute of ["hair", "eyes"]) {
      for (const s of info[attribute]) this.hex[attribute][s.name] = s.hex;
    }
  }

  tag(attribute, name, suffix) {
    return element("span", { class: "tag" },
      element("i", { "--c": this.hex[attribute][name] || "#ccc", "aria-hidden": "true" }),
      suffix ? `${name} ${suffix}` : name);
  }
}

export function describe(face) {
  return `seed ${face.seed}: ${face.hair} hair, ${face.eyes} eyes`;
}

export function fileName(face, size, resolution) {
  const upscaled = size && size !== resolution ? `-${size}px` : "";
  return `acgan-${face.seed}-${face.hair}-hair-${face.eyes}-eyes${upscaled}.png`;
}

export function faceImage(face, resolution, width) {
  return element("img", {
    class: "pixel", src: face.png, width: width || resolution, height: width || resolution,
    alt: `Face from ${describe(face)}`,
  });
}

function swatchOption(attribute, name, hex, checked, onChange) {
  const random = name === RANDOM;
  const input = element("input", { type: "radio", name: attribute, value: name, checked });
  input.addEventListener("change", onChange);
  const dot = random ? element("span", { class: "dot", "aria-hidden": "true", textContent: "?" })
    : element("span", { class: "dot", "--c": hex, "aria-hidden": "true" });
  return element("label", { class: random ? "swatch random" : "swatch", title: `${name} ${attribute}` },
    input, dot, element("span", { class: "name", textContent: name }));
}

export function buildSwatches(attribute, list, initial, onChange) {
  document.getElementById(`${attribute}-swatches`).replaceChildren(
    swatchOption(attribute, RANDOM, "", initial === RANDOM, onChange),
    ...list.map((s) => swatchOption(attribute, s.name, s.hex, s.name === initial, onChange)));
}

export function chosen(attribute) {
  const checked = document.querySelector(`input[name="${attribute}"]:checked`);
  return checked ? checked.value : RANDOM;
}

export function choose(attribute, name) {
  const input = document.querySelector(`input[name="${attribute}"][value="${CSS.escape(name)}"]`);
  if (input) input.checked = true;
  return Boolean(input);
}

export function fillSelect(select, attribute, colours, list, initial) {
  select.replaceChildren(...[RANDOM, ...list.map((s) => s.name)].map(
    (name) => element("option", { value: name, textContent: name, selected: name === initial })));
  const dot = select.parentElement.querySelector(".dot");
  const paint = () => {
    dot.classList.toggle("random", select.value === RANDOM);
    dot.style.setProperty("--c", colours.hex[attribute][select.value] || "#ccc");
  };
  select.addEventListener("change", paint);
  paint();
}

/** Save a Blob under a file name, as a click on a download link would. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = element("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
