"""Every argument of the Python API, checked as the command line checks its options: numpy's integers are integers,
wrong kinds are TypeErrors and values out of range ValueErrors (both acgan.errors.UserError) naming the argument,
and a request as big as the command line allows is drawn in batches, never as one batch."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import acgan
from acgan.errors import UserError, WrongTypeError
from acgan.sample.contract import MAX_PER_CALL, MAX_SEED
from acgan.sample.generator import DRAW_BATCH, FaceGenerator


@pytest.fixture(scope="module")
def model() -> FaceGenerator:
    return acgan.load()


def pixels(images: list) -> list[np.ndarray]:
    return [np.asarray(image) for image in images]


def test_numpy_integers_are_seeds_and_counts(model: FaceGenerator) -> None:
    """Issue 21 #4: seed=np.int64(5) raised OverflowError."""
    plain = pixels(model.generate("blue", "red", n=2, seed=5))
    for kind in (np.int64, np.int32, np.uint8, np.uint64):
        assert all(np.array_equal(a, b) for a, b in zip(
            pixels(model.generate("blue", "red", n=kind(2), seed=kind(5))), plain, strict=True))
    big = model.generate("random", "random", n=1, seed=np.uint64(MAX_SEED))
    assert big[0].size == (64, 64)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"seed": 1.5}, "seed must be a whole number from 0 to 9,223,372,036,854,775,807, got 1.5 (float)"),
    ({"seed": True}, "seed must be a whole number from 0 to 9,223,372,036,854,775,807, got True (bool)"),
    ({"seed": "7"}, "seed must be a whole number from 0 to 9,223,372,036,854,775,807, got '7' (str)"),
    ({"n": True}, "n must be a whole number from 1 to 10,000, got True (bool)"),
    ({"n": 1.5}, "n must be a whole number from 1 to 10,000, got 1.5 (float)"),
    ({"n": "3"}, "n must be a whole number from 1 to 10,000, got '3' (str)"),
    ({"hair": None}, "hair must be a colour name (or 'random'), or a list of one per face, got None (NoneType)"),
    ({"hair": 3}, "hair must be a colour name (or 'random'), or a list of one per face, got 3 (int)"),
    ({"eyes": ["red", 4]},
     "eyes must be a colour name (or 'random'), or a list of one per face, got ['red', 4] (list)"),
])
def test_an_argument_of_the_wrong_kind_is_a_type_error_naming_it(model: FaceGenerator, arguments: dict,
                                                                 message: str) -> None:
    """Issue 21 #6: seed=1.5, seed=True and n=True were accepted; n=1.5, n='3', hair=None, hair=3 and seed='7'
    were raw TypeErrors from deep inside."""
    call = {"hair": "blue", "eyes": "red", "n": 1, "seed": 0, **arguments}
    with pytest.raises(WrongTypeError) as caught:
        model.generate(**call)
    assert str(caught.value) == message
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, UserError)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"n": 0}, "n must be a whole number from 1 to 10,000, got 0"),
    ({"n": 10**9}, "n must be a whole number from 1 to 10,000, got 1,000,000,000"),
    ({"seed": -1}, "seed must be a whole number from 0 to 9,223,372,036,854,775,807, got -1"),
    ({"seed": MAX_SEED, "n": 2}, "seed + n - 1 must be at most"),
    ({"hair": ["blue", "red"], "n": 3}, "hair: 2 colour names for 3 faces; give one name, or one per face"),
    ({"hair": "plaid"}, "unknown hair colour 'plaid'"),
])
def test_a_value_out_of_range_is_a_value_error_naming_it_at_once(model: FaceGenerator, arguments: dict,
                                                                 message: str) -> None:
    """Issue 21 #5: generate(n=10**9) hung (or died with a bare MemoryError): no limits, one batch."""
    call = {"hair": "blue", "eyes": "red", "n": 1, "seed": 0, **arguments}
    started = time.perf_counter()
    with pytest.raises(UserError) as caught:
        model.generate(**call)
    assert message in str(caught.value) and not isinstance(caught.value, TypeError)
    assert time.perf_counter() - started < 2  # refused before any work


def test_a_big_request_is_drawn_in_batches_and_gives_the_same_faces(model: FaceGenerator) -> None:
    calls: list[int] = []
    runner = model.runner

    def counting(z: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        calls.append(len(z))
        return runner(z, hair, eyes)

    counting.cfg = runner.cfg  # type: ignore[attr-defined]
    counting.runtime = runner.runtime  # type: ignore[attr-defined]
    batched = FaceGenerator(runner=counting, vocab=model.vocab, source=model.source, step=model.step)  # type: ignore[arg-type]
    faces = batched.generate("random", "random", n=DRAW_BATCH + 44, seed=11)
    assert calls == [DRAW_BATCH, 44] and len(faces) == DRAW_BATCH + 44
    alone = model.generate("random", "random", n=1, seed=11 + DRAW_BATCH + 10)[0]
    difference = np.abs(np.asarray(faces[DRAW_BATCH + 10], int) - np.asarray(alone, int))
    assert difference.max() <= 1  # the same face; a batch may round a pixel to its neighbouring level
    assert MAX_PER_CALL == 10_000


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda m: m.morph((1, "blue", "red"), (2, "red", "blue"), steps=1.5), WrongTypeError, "steps must be a whole"),
    (lambda m: m.morph((1, "blue", "red"), (2, "red", "blue"), steps=1), UserError, "steps must be a whole number "
                                                                                    "from 2 to 256, got 1"),
    (lambda m: m.morph((1.5, "blue", "red"), (2, "red", "blue")), WrongTypeError, "start's seed must be a whole"),
    (lambda m: m.morph((1, "blue", "red"), "face"), WrongTypeError, "end must be a face (seed, hair, eyes)"),
    (lambda m: m.morph((1, "blue", "red"), (2, None, "blue")), WrongTypeError, "end's hair must be a colour name"),
    (lambda m: m.faces([(1, "blue", "red"), (2, "red")]), WrongTypeError, "faces[1] must be a face"),
    (lambda m: m.faces([(-4, "blue", "red")]), UserError, "faces[0]'s seed must be a whole number from 0"),
    (lambda m: m.all_pairs(seed=-1), UserError, "seed must be a whole number from 0"),
    (lambda m: m.all_pairs(seed=MAX_SEED), UserError, "seed + n - 1 must be at most"),
    (lambda m: m.all_pairs(size=5), UserError, "size must be a whole number from 16 to 1,024, got 5"),
    (lambda m: m.all_pairs(size=64.0), WrongTypeError, "size must be a whole number"),
    (lambda m: acgan.load(123), WrongTypeError, "path must be a run folder or a checkpoint file, got 123"),
    (lambda m: acgan.load(checkpoint=5), WrongTypeError, "checkpoint must be a checkpoint's name"),
    (lambda m: acgan.load(device="toaster"), UserError, "device must be 'cpu', 'cuda' or 'cuda:N', got 'toaster'"),
])
def test_every_other_call_checks_its_arguments(model: FaceGenerator, call, error: type, message: str) -> None:
    with pytest.raises(error) as caught:
        call(model)
    assert message in str(caught.value)
