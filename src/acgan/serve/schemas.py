"""The API's request and response bodies (pydantic), with the limits of sample/contract.py that a request must keep."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from acgan.sample.contract import (
    MAX_FACES,
    MAX_MORPH_SCALE,
    MAX_MORPH_STEPS,
    MAX_MOVES,
    MAX_PER_CALL,
    MAX_SEED,
    MAX_SIZE,
    MIN_SIZE,
    MORPH_SIZE,
    MORPH_STEPS,
    RANDOM,
    TRUNCATION,
    VARIATION_DISTANCE,
    VARIATIONS,
)
from acgan.sample.images import GRID_COLUMNS

Seed = Annotated[StrictInt, Field(ge=0, le=MAX_SEED, description=f"An integer 0..{MAX_SEED} (2**63 - 1).",
                                  examples=[42])]
Colour = Annotated[str, Field(min_length=1, max_length=64, examples=["blue"],
                              description=f'A colour of the run\'s vocabulary (GET /api/tags), or "{RANDOM}".')]


Truncation = Annotated[StrictFloat, Field(gt=0, le=1, description=(
    "The variety: each face's noise times this, above 0 and at most 1 (1: the faces as trained; lower: safer, "
    "more alike faces)."))]
Distance = Annotated[StrictFloat, Field(gt=0, le=1, description=(
    "How far a variation moves a face's noise: above 0, at most 1 (1: as far as any other face)."))]
Move = tuple[Annotated[StrictInt, Field(ge=0, le=MAX_PER_CALL - 1)], Distance]
Moves = Annotated[list[Move], Field(max_length=MAX_MOVES, description=(
    "[index, distance] per step from the seed's face to this variation of it (empty: the seed's face); "
    "docs/DESIGN.md 'Variations of a face'."))]


ReadBack = Annotated[Literal["no", "show", "only"], Field(description=(
    '"show": each face says which colours the shipped tagger reads in it ("read"); "only": also, a face whose '
    "colours do not read back as asked gives way to the first of up to 7 fresh faces of its colours that do (its "
    'moves name it), as `acgan generate --read-back`.'))]


class Strict(BaseModel):
    """Unknown keys are refused: in a request, a misspelt field; in the contract, a key its schema lacks."""

    model_config = ConfigDict(extra="forbid")


Size = Annotated[StrictInt, Field(ge=MIN_SIZE, le=MAX_SIZE, examples=[256], description=(
    f"Pixels a side of each face, {MIN_SIZE}..{MAX_SIZE}: the face upscaled with Lanczos (a download bigger than "
    "the model draws); default: as drawn."))]


class GenerateRequest(Strict):
    hair: Colour
    eyes: Colour
    n: StrictInt = Field(1, ge=1, le=MAX_FACES, description=f"How many faces, 1..{MAX_FACES}; face k uses seed + k.")
    seed: Seed | None = Field(None, description="First seed; when absent the server picks one and returns it.")
    format: Literal["json", "png"] = Field(
        "json", description='"json": base64 PNGs with each face\'s seed and colours; "png": one PNG '
                            f"(the face, or a grid of {GRID_COLUMNS} columns when n > 1, as `acgan generate` draws it)."
    )
    size: Size | None = None
    truncation: Truncation = TRUNCATION
    read_back: ReadBack = "no"


class ColourPair(Strict):
    hair: Colour
    eyes: Colour


class RecolourRequest(Strict):
    seed: Seed | None = Field(None, description="The face's seed; when absent the server picks one.")
    moves: Moves = []
    pairs: list[ColourPair] = Field(min_length=1, max_length=MAX_FACES,
                                    description=f"1..{MAX_FACES} colour pairs to draw the face in.")
    format: Literal["json", "png"] = Field("json", description=f'"png": one grid, a face per pair, {GRID_COLUMNS} '
                                                                  "across.")
    size: Size | None = None
    truncation: Truncation = TRUNCATION
    read_back: ReadBack = "no"


class FaceIn(Strict):
    seed: Seed
    hair: Colour
    eyes: Colour
    moves: Moves = []


class MorphRequest(Strict):
    start: FaceIn = Field(alias="from", description="The first face.")
    end: FaceIn = Field(alias="to", description="The last face.")
    steps: StrictInt = Field(MORPH_STEPS, ge=2, le=MAX_MORPH_STEPS,
                             description=f"Frames, both ends included: 2..{MAX_MORPH_STEPS}.")
    format: Literal["json", "gif", "png"] = Field(
        "json", description='"json": base64 PNG frames and the GIF; "gif": the animated GIF (there and back); '
                            '"png": the frames in a strip.')
    scale: StrictInt | None = Field(None, ge=1, le=MAX_MORPH_SCALE, description="Pixel size of the GIF and the "
                                    f"strip (default: about {MORPH_SIZE} px a side); JSON frames are never scaled.")
    size: Size | None = None
    truncation: Truncation = TRUNCATION


class VariationsRequest(Strict):
    like: FaceIn = Field(description="The face to vary: a seed's face, or a variation (its moves).")
    n: StrictInt = Field(VARIATIONS, ge=1, le=MAX_FACES, description=f"How many variations, 1..{MAX_FACES}; "
                         "variation k adds the move [k, distance] to the face's moves.")
    distance: Distance = VARIATION_DISTANCE
    format: Literal["json", "png"] = Field("json", description='"png": one grid of the variations.')
    size: Size | None = None
    truncation: Truncation = TRUNCATION
    read_back: ReadBack = "no"


class ColoursRead(BaseModel):
    hair: str
    eyes: str


class FaceOut(BaseModel):
    seed: int
    hair: str
    eyes: str
    moves: list[tuple[int, float]] = Field([], description="Empty for a seed's face; a variation's moves.")
    read: ColoursRead | None = Field(None, description='With read_back "show" or "only": the colours the shipped '
                                                       "tagger reads in the face.")
    png: str = Field(description="The face as base64 PNG (native resolution, metadata in an 'acgan' text chunk).")


class FacesResponse(BaseModel):
    seed: int = Field(description="The request's (first) seed, chosen by the server when not given.")
    resolution: int
    faces: list[FaceOut]


class MorphResponse(BaseModel):
    start: FaceOut = Field(serialization_alias="from")
    end: FaceOut = Field(serialization_alias="to")
    steps: int
    frames: list[str] = Field(description="base64 PNG per frame, native resolution.")
    gif: str = Field(description="base64 animated GIF, there and back, scaled up.")


class Swatch(Strict):
    name: str
    rgb: tuple[int, int, int]
    hex: str


class SeedRules(Strict):
    max: str = Field(description="The largest seed, as digits (JavaScript numbers stop being exact at 2**53).")
    new_below: int = Field(description="A seed picked for the user is below this.")
    face_k: str
    noise: str


class Limits(Strict):
    max_faces: int = Field(description="Faces in one request; colour pairs in one recolour.")
    max_grid: int = Field(description="Faces in one grid picture.")
    min_size: int
    max_size: int
    max_request_pixels: int = Field(description="Pixels of all the pictures one request makes, at most.")
    max_per_call: int = Field(description="Faces one command or one Python call draws, at most.")


class MorphRules(Strict):
    steps: int = Field(description="Frames when none are asked for.")
    max_steps: int
    size: int = Field(description="Pixels a side a GIF's frames are enlarged to, about.")
    max_scale: int
    max_pixels: int = Field(description="Frames x pixels of a morph's GIF (there and back) at most.")
    hold_ms: int = Field(description="How long the GIF shows its first and last frames.")
    frame_ms: int = Field(description="How long the GIF shows every other frame.")


class TruncationRules(Strict):
    default: float = Field(description="1: the faces as trained.")
    above: float = Field(description="A truncation must be above this...")
    max: float = Field(description="...and at most this.")
    noise: str = Field(description="What it does to a face's noise.")


class FaceJSON(Strict):
    seed: int
    hair: str
    eyes: str


class VariationRules(Strict):
    count: int = Field(description="Variations drawn when no number is asked for.")
    distance: float = Field(description="The distance when none is asked for.")
    above: float
    max: float
    max_index: int = Field(description="The largest variation index a move may name.")
    max_moves: int = Field(description="Moves a face may be from its seed's face, at most.")
    noise: str = Field(description="What a move does to a face's noise.")


class ReadBackRules(Strict):
    tries: int = Field(description='Faces tried per face with read_back "only": the face, then fresh candidates.')
    distance: float = Field(description="Candidate j is the face's variation [j, distance].")


class Defaults(Strict):
    faces: int = Field(description="Faces the page draws at a time.")
    morph_from: FaceJSON
    morph_to: FaceJSON


class Contract(Strict):
    """sample/contract.py's contract_json: what the page is told (here and in a static site's model.json)."""

    source: str
    step: int
    resolution: int
    hair: list[Swatch]
    eyes: list[Swatch]
    random: str = Field(description="The name that asks for a colour chosen from the face's seed.")
    seeds: SeedRules
    limits: Limits
    morph: MorphRules
    truncation: TruncationRules
    variations: VariationRules
    read_back: ReadBackRules
    defaults: Defaults


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    runtime: str = Field(description='What runs the network: "torch" or "onnx".')
    read_back: bool = Field(description="Whether the shipped tagger knows the model's colours, so that requests may "
                                        'ask for them to be read back (read_back "show" or "only").')
    source: str
    step: int
    resolution: int


class ValidationProblem(BaseModel):
    detail: list[dict[str, Any]]
    message: str = Field(description="One line per problem, each starting with the field it is about.")
