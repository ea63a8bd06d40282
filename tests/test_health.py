"""The collapse watch: when it warns about near-identical faces or labels read at chance, and when not."""

from __future__ import annotations

import torch

from acgan.nets import ClassicGenerator, ModelConfig
from acgan.sample.runners import TorchRunner
from acgan.train.health import CHANCE_WINDOWS, COLLAPSE_FROM_STEP, CollapseWatch


def watch() -> CollapseWatch:
    real = torch.randint(0, 256, (16, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return CollapseWatch(real, n_hair=12)


def test_near_identical_faces_warn_once_and_only_after_the_first_steps() -> None:
    w = watch()
    assert w.warnings(25, {"spread": 0.05}) == []  # an untrained generator: not judged yet
    assert w.warnings(COLLAPSE_FROM_STEP - 1, {"spread": 0.05}) == []
    found = w.warnings(COLLAPSE_FROM_STEP, {"spread": 0.05})
    assert len(found) == 1 and "nearly identical" in found[0] and "0.05" in found[0]
    assert w.warnings(COLLAPSE_FROM_STEP + 25, {"spread": 0.04}) == []  # said once while it lasts
    assert w.warnings(COLLAPSE_FROM_STEP + 50, {"spread": 0.6}) == []
    assert len(w.warnings(COLLAPSE_FROM_STEP + 75, {"spread": 0.05})) == 1  # and again when it returns


def test_labels_read_at_chance_warn_after_enough_windows() -> None:
    w = watch()
    at_chance = {"spread": 0.5, "d_real_hair_acc": 1 / 12}
    said = [w.warnings(1000 + i, at_chance) for i in range(CHANCE_WINDOWS)]
    assert all(not s for s in said[:-1])
    assert len(said[-1]) == 1 and "chance" in said[-1][0]


def test_the_measured_spread_is_low_for_a_generator_that_ignores_its_noise() -> None:
    torch.manual_seed(0)
    G = ClassicGenerator(ModelConfig(resolution=32, width=8)).eval()
    noise_weights = G.net[0].weight[: G.cfg.z_dim]
    w = watch()
    with torch.no_grad():  # an untrained G barely moves with its noise (why the watch waits); make it
        noise_weights.mul_(100)
    runner = TorchRunner(G, G.cfg)  # drawn as the trainer draws it
    varied = w.measure(runner)["spread"]
    with torch.no_grad():  # the noise's input weights to zero: every face the same
        noise_weights.zero_()
    assert w.measure(runner)["spread"] < 1e-6 and varied > 1e-3
