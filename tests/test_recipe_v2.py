"""Recipe v2's parts, each against an outcome worked out independently: standing statistics, the ADC-GAN colour
loss, colour pairs drawn from the data, the average's half-life in images, the time budget, and the spill figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from acgan.cli import app
from acgan.judge.metrics import colour_spill, eye_region
from acgan.nets import ModelConfig, build_generator, build_networks
from acgan.nets.standing import standing_statistics
from acgan.run.checkpoint import latest_checkpoint, load_checkpoint
from acgan.train.losses import ADC, CE, LossWeights, discriminator_loss
from acgan.train.settings import Settings, ema_decay, resolve
from acgan.train.step import fake_labels, pair_cdf

runner = CliRunner()
TINY = ModelConfig(resolution=32, width=8, arch="modern", noise_in_blocks=True)


def test_standing_statistics_are_the_average_of_the_batches_own_statistics() -> None:
    G = build_generator(TINY)
    norm = G.blocks[1].norm1.norm  # a BatchNorm deep inside, fed by everything before it
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    norm.register_forward_hook(lambda module, inputs, output: seen.append(
        (inputs[0].mean((0, 2, 3)), inputs[0].var((0, 2, 3), unbiased=True))))
    G.eval()
    standing_statistics(G, TINY, batches=3, batch=16)
    assert len(seen) == 3 and not G.training and norm.momentum == 0.1  # mode and momentum given back
    assert torch.allclose(norm.running_mean, torch.stack([m for m, _ in seen]).mean(0), atol=1e-6)
    assert torch.allclose(norm.running_var, torch.stack([v for _, v in seen]).mean(0), atol=1e-5)
    before = {k: v.clone() for k, v in G.state_dict().items()}
    norm.running_mean.fill_(5.0)  # whatever was there before does not matter
    standing_statistics(G, TINY, batches=3, batch=16)
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())


def test_pack_gives_the_averaged_generator_statistics_of_its_own(small_dataset: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", "--data", str(small_dataset), "--recipe", "modern", "--resolution", "32",
                                 "--width", "8", "--batch-size", "8", "--steps", "3", "--out", str(run)])
    assert result.exit_code == 0, result.output
    trained = latest_checkpoint(run)
    assert runner.invoke(app, ["pack", str(run), "-o", str(tmp_path / "packed")]).exit_code == 0
    packed = load_checkpoint(tmp_path / "packed" / "generator.json")
    cfg = trained.record.model_config()
    G = build_generator(cfg)
    G.load_state_dict({k[6:]: v for k, v in trained.tensors.items() if k.startswith("G_ema.")})
    standing_statistics(G, cfg)
    expected = G.blocks[0].norm1.norm.running_mean
    assert torch.allclose(packed.tensors["G.blocks.0.norm1.norm.running_mean"].float(), expected, atol=1e-3)
    copied = trained.tensors["G.blocks.0.norm1.norm.running_mean"]  # what training copies into the average: G's
    assert (copied - expected).abs().max() > 1e-3
    assert packed.record.info["standing_statistics"] == {"batches": 40, "batch": 64}
    # the training checkpoint's average already carries them (measured before it was saved)
    assert torch.allclose(trained.tensors["G_ema.blocks.0.norm1.norm.running_mean"], expected, atol=1e-6)


def test_adc_heads_name_real_and_fake_colours_and_pay_g_by_their_log_ratio() -> None:
    cfg = ModelConfig(resolution=32, width=8, arch="modern", fake_classes=True)
    _, D = build_networks(cfg)
    _, hair, eyes = D(torch.zeros(2, 3, 32, 32))
    assert hair.shape == (2, 24) and eyes.shape == (2, 22)
    logits, labels = torch.randn(5, 24), torch.tensor([0, 3, 11, 7, 2])
    log_p = torch.log_softmax(logits, 1)
    rows = torch.arange(5)
    assert torch.allclose(ADC.d_fake(logits, labels), -log_p[rows, labels + 12].mean())
    assert torch.allclose(ADC.g(logits, labels), (log_p[rows, labels + 12] - log_p[rows, labels]).mean())
    assert torch.equal(ADC.real_logits(logits), logits[:, :12]) and CE.real_logits(logits) is logits


def test_adc_makes_d_learn_on_fakes_without_a_fake_label_weight() -> None:
    def critic(images: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> tuple:
        n = len(images)
        return images.mean((1, 2, 3)), images.new_zeros(n, 24), images.new_zeros(n, 22)
    real, fake = torch.zeros(4, 3, 8, 8), torch.ones(4, 3, 8, 8)
    labels, target = torch.zeros(4, dtype=torch.long), torch.ones(4)
    weights = LossWeights(validity=0.0, label=1.0, fake_label=0.0)
    plain, _ = discriminator_loss(critic, real, labels, labels, fake, labels, labels, target, target, weights)
    adc, _ = discriminator_loss(critic, real, labels, labels, fake, labels, labels, target, target, weights,
                                classes=ADC)
    # every head uniform over its outputs: CE pays ln 24 + ln 22 on the reals; ADC pays it again on the fakes
    assert plain.item() == pytest.approx(math.log(24) + math.log(22), rel=1e-5)
    assert adc.item() == pytest.approx(2 * (math.log(24) + math.log(22)), rel=1e-5)


def test_colour_pairs_drawn_in_proportion_to_a_power_of_their_counts_never_an_empty_one() -> None:
    cfg = ModelConfig(n_hair=3, n_eyes=2)
    counts = torch.tensor([100.0, 0.0, 25.0, 4.0, 1.0, 9.0])
    rng = torch.Generator().manual_seed(0)
    hair, eyes = fake_labels(cfg, 100_000, paired=False, rng=rng, cdf=pair_cdf("data^0.5", counts))
    share = torch.bincount(hair * 2 + eyes, minlength=6).float() / 100_000
    expected = torch.tensor([10.0, 0.0, 5.0, 2.0, 1.0, 3.0]) / 21  # sqrt of the counts, normalised
    assert share[1] == 0 and torch.allclose(share, expected, atol=0.01)
    assert pair_cdf("uniform", counts) is None
    hair, eyes = fake_labels(cfg, 60_000, paired=False, rng=rng, cdf=pair_cdf("data^0", counts))
    assert torch.allclose(torch.bincount(hair * 2 + eyes, minlength=6).float() / 60_000,
                          torch.tensor([0.2, 0.0, 0.2, 0.2, 0.2, 0.2]), atol=0.01)


@pytest.mark.parametrize("spec", ["data^2", "data", "counts^0.5", "data^-1", "data^nan"])
def test_an_impossible_pair_distribution_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="fake_pairs must be 'uniform' or 'data\\^A' with 0 <= A <= 1"):
        resolve(data="faces", fake_pairs=spec)


def test_the_average_is_set_by_a_half_life_in_images_and_old_runs_keep_their_decay() -> None:
    at_64, at_256 = resolve(data="faces"), resolve(data="faces", batch_size=256)
    # 44,000 images: about 688 steps of 64 (0.999 per step), 172 steps of 256
    assert ema_decay(at_64) == pytest.approx(0.999, abs=2e-5)
    assert ema_decay(at_256) ** (44_000 / 256) == pytest.approx(0.5) and ema_decay(at_64, processes=4) == \
        pytest.approx(ema_decay(at_256))
    stored = {**at_64.to_json(), "batch_size": 32}
    del stored["ema_half_life"], stored["class_loss"], stored["fake_pairs"], stored["minutes"]
    old = Settings.from_json({**stored, "ema": 0.99}, "an old run")  # a run saved before these settings
    assert ema_decay(old) == pytest.approx(0.99, rel=1e-12)
    assert (old.class_loss, old.fake_pairs, old.minutes) == ("ce", "uniform", 0.0)


def test_a_time_budget_stops_training_with_a_checkpoint(small_dataset: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", "--data", str(small_dataset), "--resolution", "32", "--width", "8",
                                 "--batch-size", "8", "--steps", "1000000", "--minutes", "0.05", "--log-every", "1",
                                 "--out", str(run)])
    assert result.exit_code == 0, result.output
    step = latest_checkpoint(run).step
    assert 0 < step < 1_000_000 and f"stopped at step {step}" in result.output
    logged = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert logged[-1] == step


def test_eye_region_finds_the_pixels_whose_colour_follows_the_eye_label_not_the_hair() -> None:
    rng = np.random.default_rng(0)
    n = 600
    hair, eyes = rng.integers(0, 3, n), rng.integers(0, 4, n)
    eyes[: n // 2] = hair[: n // 2]  # eye colour goes with hair colour half the time, as in real data
    images = rng.integers(0, 40, (n, 16, 16, 3)).astype(np.uint8)
    images[:, :4] += (60 * hair)[:, None, None, None].astype(np.uint8)  # the hair: top rows
    images[:, 8:10, 5:7] += (50 * eyes)[:, None, None, None].astype(np.uint8)  # the eyes: a 2 x 2 patch
    region = eye_region(images, hair, eyes, share=4 / 256)
    assert region.sum() == 4 and region[8:10, 5:7].all()


def test_colour_spill_is_zero_when_only_the_eyes_change_and_the_outside_share_for_a_tint() -> None:
    region = np.zeros((8, 8), bool)
    region[3:5, 2:4] = True
    faces = np.zeros((5, 3, 3, 8, 8))
    for colour in range(3):
        faces[:, colour, :, 3:5, 2:4] = colour  # only the eyes change with the eye colour
    assert colour_spill(faces, region)["outside_share"] == 0.0
    tinted = faces + np.arange(3)[None, :, None, None, None] * 0.5  # plus a tint over the whole face
    spill = colour_spill(tinted, region)
    change_in, change_out = (2 / 3) * 1.5, (2 / 3) * 0.5  # mean |x - mean| over the three colours
    assert spill["outside_vs_inside"] == pytest.approx(change_out / change_in)
    assert spill["outside_share"] == pytest.approx(60 * change_out / (60 * change_out + 4 * change_in))
