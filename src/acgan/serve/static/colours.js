// The colour choices on the page, made from the contract: the swatches of the draw form, the morph's selects, and
// the little colour tags beside every name. "random" is the contract's word for a colour drawn from the seed.
import { element } from "./dom.js";

/**
 * @typedef {import("./contract.js").Contract} Contract
 * @typedef {import("./contract.js").Swatch} Swatch
 * @typedef {"hair" | "eyes"} Attribute
 */

export class ColourChoices {
  /** @param {Contract} contract */
  constructor(contract) {
    this.random = contract.random;
    this.lists = { hair: contract.hair, eyes: contract.eyes };
    /** @type {{hair: Map<string, string>, eyes: Map<string, string>}} */
    this.hex = { hair: new Map(), eyes: new Map() };
    for (const attribute of /** @type {Attribute[]} */ (["hair", "eyes"])) {
      for (const s of contract[attribute]) this.hex[attribute].set(s.name, s.hex);
    }
  }

  /**
   * Whether the model knows a colour.
   * @param {Attribute} attribute
   * @param {string} name
   */
  has(attribute, name) {
    return this.hex[attribute].has(name);
  }

  /**
   * A colour name with its swatch dot.
   * @param {Attribute} attribute
   * @param {string} name
   * @param {string} [suffix]
   */
  tag(attribute, name, suffix) {
    return element("span", { class: "tag" },
      element("i", { "--c": this.hex[attribute].get(name) || "#ccc", "aria-hidden": "true" }),
      suffix ? `${name} ${suffix}` : name);
  }

  /**
   * @param {Attribute} attribute
   * @param {string} name
   * @param {boolean} checked
   * @param {() => void} onChange
   */
  swatchOption(attribute, name, checked, onChange) {
    const random = name === this.random;
    const input = element("input", { type: "radio", name: attribute, value: name, checked });
    input.addEventListener("change", onChange);
    const dot = random ? element("span", { class: "dot", "aria-hidden": "true", textContent: "?" })
      : element("span", { class: "dot", "--c": this.hex[attribute].get(name), "aria-hidden": "true" });
    return element("label", { class: random ? "swatch by-seed" : "swatch", title: `${name} ${attribute}` },
      input, dot, element("span", { class: "name", textContent: name }));
  }

  /**
   * The draw form's swatches for one attribute: "random" first, then every colour; `initial` checked.
   * @param {Attribute} attribute
   * @param {string} initial
   * @param {() => void} onChange
   */
  buildSwatches(attribute, initial, onChange) {
    const names = [this.random, ...this.lists[attribute].map((s) => s.name)];
    document.getElementById(`${attribute}-swatches`)?.replaceChildren(
      ...names.map((name) => this.swatchOption(attribute, name, name === initial, onChange)));
  }

  /**
   * The colour checked in the draw form ("random" when none is).
   * @param {Attribute} attribute
   */
  chosen(attribute) {
    const checked = document.querySelector(`input[name="${attribute}"]:checked`);
    return checked instanceof HTMLInputElement ? checked.value : this.random;
  }

  /**
   * Check a colour in the draw form; false when the model lacks it.
   * @param {Attribute} attribute
   * @param {string} name
   */
  choose(attribute, name) {
    const input = document.querySelector(`input[name="${attribute}"][value="${CSS.escape(name)}"]`);
    if (input instanceof HTMLInputElement) input.checked = true;
    return input instanceof HTMLInputElement;
  }

  /**
   * A select of "random" and every colour, `initial` selected, its dot painted with the chosen colour.
   * @param {HTMLSelectElement} select
   * @param {Attribute} attribute
   * @param {string} initial
   */
  fillSelect(select, attribute, initial) {
    select.replaceChildren(...[this.random, ...this.lists[attribute].map((s) => s.name)].map(
      (name) => element("option", { value: name, textContent: name, selected: name === initial })));
    const dot = select.parentElement?.querySelector(".dot");
    const paint = () => {
      if (!(dot instanceof HTMLElement)) return;
      dot.classList.toggle("by-seed", select.value === this.random);
      dot.style.setProperty("--c", this.hex[attribute].get(select.value) || "#ccc");
    };
    select.addEventListener("change", paint);
    paint();
  }
}
