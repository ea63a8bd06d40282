"""The modern recipe's parts: spectral norm, the weight average, augmentation, conditional BatchNorm."""

from __future__ import annotations

import copy

import pytest
import torch

from acgan.errors import ConfigError
from acgan.nets import ModelConfig, ModernDiscriminator, ModernGenerator, build_networks
from acgan.train.augment import Augment, cutout, draw_corners, draw_shifts, parse, translate
from acgan.train.losses import HINGE, LossWeights, generator_loss, noise_spread
from acgan.train.settings import resolve
from acgan.train.step import fake_labels, moving_average


def test_spectral_norm_holds_each_layer_near_one() -> None:
    torch.manual_seed(0)
    D = ModernDiscriminator(ModelConfig(resolution=32, width=8, arch="modern")).train()
    images = torch.randn(4, 3, 32, 32)
    layers = [m for m in D.modules() if hasattr(m, "parametrizations")]
    with torch.no_grad():
        for layer in layers:  # make every raw weight far from norm 1, so the test sees the normalisation work
            layer.parametrizations.weight.original.mul_(25.0)
    for _ in range(30):  # each forward in training mode runs one power iteration per layer
        D(images, torch.zeros(4, dtype=torch.long), torch.zeros(4, dtype=torch.long))
    assert len(layers) == 3 + 5  # three convolutions, three heads, two projection embeddings
    for layer in layers:
        weight = layer.weight.detach()
        largest = torch.linalg.matrix_norm(weight.reshape(weight.shape[0], -1), ord=2)
        assert 0.9 < largest < 1.1, f"{layer}: largest singular value {largest:.3f}"
        raw = layer.parametrizations.weight.original.detach()
        assert torch.linalg.matrix_norm(raw.reshape(raw.shape[0], -1), ord=2) > 2


def test_the_weight_average_moves_towards_the_weights_at_its_rate() -> None:
    torch.manual_seed(0)
    G = ModernGenerator(ModelConfig(resolution=32, width=8, arch="modern"))
    average = copy.deepcopy(G)
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
        next(G.buffers()).add_(3.0)
    before = [p.clone() for p in average.parameters()]
    moving_average(average, G, decay=0.9, step=torch.tensor(10_000.0))
    for old, new, target in zip(before, average.parameters(), G.parameters(), strict=True):
        assert torch.allclose(new, 0.9 * old + 0.1 * target, atol=1e-6)
    assert torch.equal(next(average.buffers()), next(G.buffers()))  # BatchNorm statistics are copied
    # Early on the decay ramps up from 0.1, so the average leaves the random start quickly.
    fresh = copy.deepcopy(average)
    moving_average(fresh, G, decay=0.999, step=torch.tensor(0.0))
    for old, new, target in zip(average.parameters(), fresh.parameters(), G.parameters(), strict=True):
        assert torch.allclose(new, 0.1 * old + 0.9 * target, atol=1e-6)


def test_augmentations_keep_shapes_and_only_move_or_hide_pixels() -> None:
    images = torch.rand(6, 3, 32, 32) + 0.5  # no zeros, so hidden pixels are countable
    rng = torch.Generator().manual_seed(1)
    shifted = translate(images, draw_shifts(6, 32, rng))
    assert shifted.shape == images.shape
    for original, moved in zip(images, shifted, strict=True):
        # The same pixels shifted by (dy, dx), zeros where they came from outside.
        found = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                 if torch.equal(torch.roll(original, (dy, dx), (1, 2))[:, 4:-4, 4:-4], moved[:, 4:-4, 4:-4])]
        assert len(found) == 1
    hidden = cutout(images, draw_corners(6, 32, rng))
    assert hidden.shape == images.shape
    assert ((hidden == 0).all(dim=1).flatten(1).sum(1) == 16 * 16).all()  # a 16x16 square per image
    both = Augment("translation,cutout")
    again = both(images, both.draw(6, 32, torch.Generator().manual_seed(5)))
    assert torch.equal(again, both(images, both.draw(6, 32, torch.Generator().manual_seed(5))))
    images.requires_grad_(True)
    both(images, both.draw(6, 32, rng)).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert parse("none") == [] and parse("cutout, translation") == ["cutout", "translation"]
    with pytest.raises(ValueError, match="unknown augmentation colour"):
        parse("colour")


def test_every_batchnorm_of_the_modern_generator_is_steered_by_the_labels() -> None:
    torch.manual_seed(0)
    cfg = ModelConfig(resolution=32, width=8, arch="modern")
    G, _ = build_networks(cfg)
    norms = [m for m in G.modules() if m.__class__.__name__ == "ConditionalBatchNorm"]
    assert len(norms) == 2 * cfg.stages
    with torch.no_grad():
        G.project.weight[:, cfg.z_dim:] = 0  # the labels now reach G only through its BatchNorms
        for norm in norms:
            norm.scale.weight.normal_(0, 0.5)
    z = torch.randn(1, 100).repeat(4, 1)
    out = G.eval()(z, torch.tensor([0, 0, 5, 5]), torch.tensor([1, 1, 1, 1]))
    assert torch.allclose(out[0], out[1]) and (out[0] - out[2]).abs().max() > 1e-3


def test_recipe_defaults_and_bad_recipe() -> None:
    modern = resolve(recipe="modern")
    assert (modern.lr_g, modern.lr_d, modern.beta1, modern.beta2) == (1e-4, 4e-4, 0.0, 0.9)
    assert modern.augment == "translation" and modern.ema_half_life == 44_000 and modern.mode_seeking == 1.0
    classic = resolve(lr_g=3e-4)
    assert classic.recipe == "classic"  # the built-in faces' default
    assert (classic.lr_g, classic.lr_d, classic.augment, classic.ema_half_life, classic.mode_seeking) == (
        3e-4, 2e-4, "none", 0.0, 1.0)  # mode seeking: the built-in faces' default, against collapse
    assert resolve(data="faces", recipe="classic").mode_seeking == 0.0  # the tutorial's recipe elsewhere
    assert resolve(data="faces").recipe == "modern"  # real data's default
    assert resolve(data="faces", recipe="classic").recipe == "classic"
    with pytest.raises(ConfigError, match="recipe must be one of classic, modern"):
        resolve(recipe="fancy")


def test_noise_spread_is_zero_when_the_noise_is_ignored_and_scales_with_the_faces() -> None:
    torch.manual_seed(0)
    z = torch.randn(6, 100)
    same = torch.randn(1, 3, 8, 8).repeat(6, 1, 1, 1)
    assert noise_spread(same, z) == 0
    faces = torch.randn(6, 3, 8, 8)
    assert torch.isclose(noise_spread(2 * faces, z), 2 * noise_spread(faces, z))
    # Face i is paired with face i + 3: making face 3 a copy of face 0 removes one pair's distance.
    moved = faces.clone()
    moved[3] = faces[0]
    assert noise_spread(moved, z) < noise_spread(faces, z)


def test_paired_fake_labels_repeat_in_the_second_half() -> None:
    cfg = ModelConfig(resolution=32, width=8, arch="modern")
    rng = torch.Generator().manual_seed(0)
    for batch in (8, 7):
        hair, eyes = fake_labels(cfg, batch, paired=True, rng=rng)
        half = (batch + 1) // 2
        assert len(hair) == len(eyes) == batch
        assert torch.equal(hair[half:], hair[:batch - half]) and torch.equal(eyes[half:], eyes[:batch - half])
    hair, _ = fake_labels(cfg, 64, paired=False, rng=rng)
    assert not torch.equal(hair[32:], hair[:32])


def blind_critic(images: torch.Tensor, *_: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A critic that sees nothing: the same scores for every image, so only the mode-seeking term teaches."""
    n = len(images)
    return torch.zeros(n), torch.zeros(n, 12), torch.zeros(n, 11)


def test_the_mode_seeking_term_alone_teaches_g_to_use_its_noise() -> None:
    torch.manual_seed(0)
    cfg = ModelConfig(resolution=32, width=8, arch="modern")
    G, _ = build_networks(cfg)
    rng = torch.Generator().manual_seed(1)
    optimizer = torch.optim.Adam(G.parameters(), lr=1e-3)
    weights = LossWeights(validity=0.0, label=0.0, mode_seeking=1.0)
    spreads = []
    for _ in range(30):
        z = torch.randn(16, cfg.z_dim, generator=rng)
        hair, eyes = fake_labels(cfg, 16, paired=True, rng=rng)
        fake = G(z, hair, eyes)
        loss, stats = generator_loss(blind_critic, fake, hair, eyes, weights, HINGE, z)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        spreads.append(float(stats["g_spread"]))
    assert spreads[-1] > 2 * spreads[0]
    with pytest.raises(ValueError, match="needs the noise"):
        generator_loss(blind_critic, fake, hair, eyes, weights, HINGE)


def test_with_noise_in_blocks_the_noise_steers_every_batchnorm() -> None:
    z = torch.randn(2, 100, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([3, 3])
    for in_blocks in (False, True):
        torch.manual_seed(0)
        G = ModernGenerator(ModelConfig(resolution=32, width=8, arch="modern", noise_in_blocks=in_blocks))
        with torch.no_grad():
            G.project.weight[:, :100] = 0  # the noise now reaches G only through its BatchNorms, if at all
            for m in G.modules():
                if m.__class__.__name__ == "ConditionalBatchNorm":
                    m.scale.weight.normal_(0, 0.5)
        out = G.eval()(z, labels, labels)
        assert ((out[0] - out[1]).abs().max() > 1e-3) == in_blocks


def test_a_model_config_saved_before_noise_in_blocks_loads_as_it_was() -> None:
    saved = {k: v for k, v in ModelConfig(arch="modern").to_json().items() if k != "noise_in_blocks"}
    assert ModelConfig.from_json(saved).noise_in_blocks is False
    assert ModernGenerator(ModelConfig.from_json(saved)).blocks[0].norm1.scale.in_features == 32
