"""The API's request and response bodies (pydantic), with the limits a request must keep."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from acgan.sample.faces import MAX_SEED, RANDOM
from acgan.sample.images import MAX_SIZE, MIN_SIZE
from acgan.serve.page import MAX_FACES, MAX_STEPS

Seed = Annotated[StrictInt, Field(ge=0, le=MAX_SEED, description=f"An integer 0..{MAX_SEED} (2**63 - 1).",
                                  examples=[42])]
Colour = Annotated[str, Field(min_length=1, max_length=64, examples=["blue"],
                              description='A colour of the run\'s vocabulary (GET /api/tags), or "random".')]


class Strict(BaseModel):
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
                            "(the face, or a grid of 8 columns when n > 1, as `acgan generate` draws it).")
    size: Size | None = None


class ColourPair(Strict):
    hair: Colour
    eyes: Colour


class RecolourRequest(Strict):
    seed: Seed | None = Field(None, description="The face's seed; when absent the server picks one.")
    pairs: list[ColourPair] = Field(min_length=1, max_length=MAX_FACES,
                                    description=f"1..{MAX_FACES} colour pairs to draw the face in.")
    format: Literal["json", "png"] = Field("json", description='"png": one grid, a face per pair, 8 across.')
    size: Size | None = None


class MorphEnd(Strict):
    seed: Seed
    hair: Colour
    eyes: Colour


class MorphRequest(Strict):
    start: MorphEnd = Field(alias="from", description="The first face.")
    end: MorphEnd = Field(alias="to", description="The last face.")
    steps: StrictInt = Field(8, ge=2, le=MAX_STEPS, description=f"Frames, both ends included: 2..{MAX_STEPS}.")
    format: Literal["json", "gif", "png"] = Field(
        "json", description='"json": base64 PNG frames and the GIF; "gif": the animated GIF (there and back); '
                            '"png": the frames in a strip.')
    scale: StrictInt | None = Field(None, ge=1, le=16, description="Pixel size of the GIF and the strip "
                                    "(default: about 128 px a side); JSON frames are never scaled.")
    size: Size | None = None


class FaceOut(BaseModel):
    seed: int
    hair: str
    eyes: str
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


class Swatch(BaseModel):
    name: str
    rgb: tuple[int, int, int]
    hex: str


class TagsResponse(BaseModel):
    hair: list[Swatch]
    eyes: list[Swatch]
    random: str = Field(RANDOM, description="The name that asks for a colour chosen from the face's seed.")
    resolution: int
    max_faces: int = MAX_FACES
    max_steps: int = MAX_STEPS


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    backend: str
    source: str
    step: int
    resolution: int


class ValidationProblem(BaseModel):
    detail: list[dict[str, Any]]
    message: str = Field(description="One line per problem, each starting with the field it is about.")
