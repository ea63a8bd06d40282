"""The rules every way of drawing shares, each defined once, here: the CLI and the Python API follow them, the JSON
API checks requests against them, and the page is sent them (GET /api/tags; a static site's model.json) and copies
none of them (static/contract.js reads what it is sent). A new limit or default is a constant here and a key in
`contract_json`; tests/test_contract.py checks that both sides agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from acgan.data.palette import swatch
from acgan.data.vocab import Vocabulary

Move = tuple[int, float]  # one step from a face to one of its variations: (the variation's index, the distance)


class Face(NamedTuple):
    """One face: its seed, its colours by their names in the vocabulary, and the moves that made it a variation of
    the seed's face (seeds.py: none for the seed's own face). A plain (seed, hair, eyes) is a face with no moves."""

    seed: int
    hair: str
    eyes: str
    moves: tuple[Move, ...] = ()


RANDOM = "random"  # the colour name that asks for a colour drawn from the face's own seed

# Seeds. Every whole number from 0 to MAX_SEED is a face (seeds.py: the noise keeps streams apart with the 64th
# bit); face k of a request uses seed + k.
MAX_SEED = 2**63 - 1
NEW_SEED_BELOW = 10**9  # a seed picked for the user (server or page) is below this: short enough to read out

# What one request may ask for.
MAX_FACES = 64  # faces in one API request (so one draw on the page), colour pairs in one recolour
MAX_GRID = 256  # faces in one grid picture
MIN_SIZE, MAX_SIZE = 16, 1024  # pixels a side a face may be written at (upscaled with Lanczos)
MAX_REQUEST_PIXELS = 2**24  # pixels of the pictures one API request may make, all of them (16 faces at 1024 px)
MAX_PER_CALL = 10_000  # faces one command or one Python call draws (one file each, or images in a list)

# Morphs: frames from one face to another, as a GIF (there and back) or a strip.
MORPH_STEPS = 8  # frames, both ends included, when none are asked for
MAX_MORPH_STEPS = 256
MORPH_SIZE = 128  # a GIF's or strip's frames are enlarged, pixel for pixel, to about this many pixels a side
MAX_MORPH_SCALE = 64
MAX_MORPH_PIXELS = 2**26  # frames x pixels of a morph's GIF (there and back): bounds memory whatever is asked
GIF_HOLD_MS = 700  # the first and the last frame; a GIF counts hundredths of a second, so 70
GIF_FRAME_MS = 120  # every other frame (12)

# Variety: the noise of every face is pulled toward its mean, 0, by this factor (the truncation trick): 1 draws the
# faces as trained, lower draws safer and more alike faces; any value above 0 and at most 1.
TRUNCATION = 1.0

# Variations: faces near a face, its noise moved by a distance (seeds.py; docs/DESIGN.md "Variations of a face").
# Variation k of a face adds the move (k, distance) to its moves; a face may be varied again and again, MAX_MOVES
# times in all. A distance is above 0 and at most 1: 1 is a face as far from it as any other face.
VARIATIONS = 8  # variations drawn when no number is asked for (the page's row)
VARIATION_DISTANCE = 0.4
MAX_MOVES = 64

# Colours read back (judge/readback.py): a face whose colours the shipped tagger does not read as asked gives way to
# the first of its candidates that it does; candidate j is its variation (j, READ_BACK_DISTANCE), a fresh face.
READ_BACK_TRIES = 8  # the face itself, then 7 candidates
READ_BACK_DISTANCE = 1.0

# What the forms show before anyone chooses.
PAGE_FACES = 8  # faces the page draws at a time
# The morph's ends (seed, hair, eyes); a colour the vocabulary lacks gives way to its first colour (the first end)
# or its second (the last end), so the two ends differ.
MORPH_FROM = Face(1, "blonde", "blue")
MORPH_TO = Face(2, "pink", "green")


def morph_ends(vocab: Vocabulary) -> tuple[Face, Face]:
    """The default ends of a morph for this vocabulary: MORPH_FROM and MORPH_TO, their colours as the
    vocabulary has them."""
    def end(default: Face, fallback: int) -> Face:
        seed, hair, eyes, _ = default
        return Face(seed, hair if hair in vocab.hair else vocab.hair[fallback],
                    eyes if eyes in vocab.eyes else vocab.eyes[fallback])

    return end(MORPH_FROM, 0), end(MORPH_TO, 1)


def swatches(names: Sequence[str]) -> list[dict[str, Any]]:
    """Each colour name with the sRGB colour the page shows beside it, as a triple and as #rrggbb."""
    return [{"name": name, "rgb": list(swatch(name)), "hex": "#{:02x}{:02x}{:02x}".format(*swatch(name))}
            for name in names]


def contract_json(vocab: Vocabulary, resolution: int, source: str, step: int) -> dict[str, Any]:
    """What the page is told about a model and the rules it draws under: GET /api/tags and model.json."""
    start, end = morph_ends(vocab)
    return {
        "source": source, "step": step, "resolution": resolution,
        "hair": swatches(vocab.hair), "eyes": swatches(vocab.eyes), "random": RANDOM,
        # JavaScript numbers stop being exact at 2**53: the largest seed travels as digits.
        "seeds": {"max": str(MAX_SEED), "new_below": NEW_SEED_BELOW, "face_k": "seed + k",
                  "noise": "SplitMix64 + Box-Muller, docs/DESIGN.md 'The noise is our own'"},
        "limits": {"max_faces": MAX_FACES, "max_grid": MAX_GRID, "min_size": MIN_SIZE, "max_size": MAX_SIZE,
                   "max_request_pixels": MAX_REQUEST_PIXELS, "max_per_call": MAX_PER_CALL},
        "morph": {"steps": MORPH_STEPS, "max_steps": MAX_MORPH_STEPS, "size": MORPH_SIZE,
                  "max_scale": MAX_MORPH_SCALE, "max_pixels": MAX_MORPH_PIXELS, "hold_ms": GIF_HOLD_MS,
                  "frame_ms": GIF_FRAME_MS},
        "truncation": {"default": TRUNCATION, "above": 0, "max": 1, "noise": "z * truncation"},
        "variations": {"count": VARIATIONS, "distance": VARIATION_DISTANCE, "above": 0, "max": 1,
                       "max_index": MAX_PER_CALL - 1, "max_moves": MAX_MOVES,
                       "noise": "z = sqrt(1 - d*d) * z + d * noise(key), docs/DESIGN.md 'Variations of a face'"},
        "read_back": {"tries": READ_BACK_TRIES, "distance": READ_BACK_DISTANCE},
        "defaults": {"faces": PAGE_FACES, "morph_from": face_json(start), "morph_to": face_json(end)},
    }


def face_json(face: Face) -> dict[str, Any]:
    """A face as JSON: in the contract, in every picture's metadata (records.py) and in the API's answers; "moves"
    only for a variation, so a seed's own face reads as it always has."""
    seed, hair, eyes, moves = Face(*face)  # a plain (seed, hair, eyes) is a face too
    return {"seed": seed, "hair": hair, "eyes": eyes, **({"moves": [list(move) for move in moves]} if moves else {})}
