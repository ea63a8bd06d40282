// The page's state, in one place: what draws its faces and the contract it sent, the colour choices and recent
// draws made from it, the draw on show, and which request of each kind is the newest. Created once the model is
// open; the sections read it, and change only `shown`, `linkProblem`, `variation`, `varying`, `ends` and the tickets
// of `latest`.
import { ColourChoices } from "./colours.js";
import { History } from "./history.js";

/**
 * @typedef {import("./contract.js").DrawRequest} DrawRequest
 * @typedef {import("./contract.js").Face} Face
 * @typedef {import("./contract.js").FaceGenerator} FaceGenerator
 * @typedef {import("./contract.js").Move} Move
 * @typedef {{seed: bigint, moves: Move[]} | null} Variation  a variation's seed and moves, kept while a form's seed
 *   is that seed
 */

/** Which request of each kind ("draw", "table", "morph") is the newest: the answer to an older one is dropped. */
export class Latest {
  constructor() {
    /** @type {Map<string, number>} */
    this.tickets = new Map();
  }

  /**
   * Start a request of `kind`; what it returns says, when called, whether that request is still the newest.
   * @param {string} kind
   * @returns {() => boolean}
   */
  start(kind) {
    const ticket = (this.tickets.get(kind) ?? 0) + 1;
    this.tickets.set(kind, ticket);
    return () => this.tickets.get(kind) === ticket;
  }
}

export class PageState {
  /** @param {FaceGenerator} model */
  constructor(model) {
    this.model = model;
    this.contract = model.contract;
    this.colours = new ColourChoices(model.contract);
    this.history = new History(model.contract);
    /** @type {{request: DrawRequest, faces: Face[]} | null} the faces on show and the request that drew them */
    this.shown = null;
    /** @type {string | null} what the page's link asked for that this model lacks, said after the first draw */
    this.linkProblem = null;
    /** @type {string | null} what is wrong with the page's link (moves, variety, distance): nothing is drawn */
    this.linkError = null;
    /** @type {Variation} the moves the next draw keeps while its seed is theirs and it draws one face */
    this.variation = null;
    /** whether the row of variations of the face on show is open */
    this.varying = false;
    /** @type {{from: Variation, to: Variation}} the morph ends' moves, kept while each end's seed is theirs */
    this.ends = { from: null, to: null };
    this.latest = new Latest();
  }
}
