// The page's backend when `acgan serve` serves it: every face comes from the JSON API of the same server (/docs).
import { Unreachable } from "./backend.js";
import { bytesOf } from "./pictures.js";
import { jsonText } from "./seeds.js";

const GONE = "The acgan server is not answering: is `acgan serve` still running? Your faces stay on the page.";

/** The server's answer to GET (no body) or POST `body`; Unreachable when no answer comes, an Error saying what
 * the server said otherwise. Paths are relative, so the page also works behind a proxy under a sub-path. */
async function request(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: jsonText(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new Unreachable(GONE);
  }
  if ([502, 503, 504].includes(response.status)) throw new Unreachable(GONE); // a proxy whose server stopped
  if (!response.ok) {
    let message = `the server answered ${response.status} ${response.statusText}`;
    try { message = (await response.json()).message || message; } catch { /* not JSON: keep the status */ }
    throw new Error(message);
  }
  return response;
}

const json = async (path, body) => (await request(path, body)).json();
const png = (base64) => `data:image/png;base64,${base64}`;

class ServerBackend {
  constructor(tags, health) {
    this.mode = "server";
    this.info = {
      hair: tags.hair, eyes: tags.eyes, resolution: tags.resolution, maxFaces: tags.max_faces,
      maxSteps: tags.max_steps, source: health.source, step: health.step,
    };
    this.label = `${health.resolution} px · step ${health.step} · ${health.backend} on the server`;
  }

  // The page knows its seeds as BigInts; the server's JSON numbers lose digits past 2**53, so only colours are read.
  async generate({ seed, n, hair, eyes }) {
    const data = await json("api/generate", { seed, n, hair, eyes });
    return data.faces.map((f, k) => ({ seed: seed + BigInt(k), hair: f.hair, eyes: f.eyes, png: png(f.png) }));
  }

  async recolour({ seed, pairs }) {
    const faces = [];
    for (let i = 0; i < pairs.length; i += this.info.maxFaces) {
      const data = await json("api/recolour", { seed, pairs: pairs.slice(i, i + this.info.maxFaces) });
      faces.push(...data.faces.map((f) => ({ seed, hair: f.hair, eyes: f.eyes, png: png(f.png) })));
    }
    return faces;
  }

  async morph({ from, to, steps }) {
    const data = await json("api/morph", { from, to, steps });
    return {
      from: { seed: from.seed, hair: data.from.hair, eyes: data.from.eyes, png: png(data.from.png) },
      to: { seed: to.seed, hair: data.to.hair, eyes: data.to.eyes, png: png(data.to.png) },
      frames: data.frames.map(png), gif: `data:image/gif;base64,${data.gif}`,
    };
  }

  /** The face as a PNG file `size` pixels a side: the server's own (Lanczos, metadata), as `acgan generate
   * --size` writes it. */
  async picture(face, size) {
    if (size === this.info.resolution) return new Blob([bytesOf(face.png)], { type: "image/png" });
    const body = { seed: face.seed, n: 1, hair: face.hair, eyes: face.eyes, size, format: "png" };
    return (await request("api/generate", body)).blob();
  }
}

export async function open() {
  const [tags, health] = await Promise.all([json("api/tags"), json("api/healthz")]);
  return new ServerBackend(tags, health);
}
