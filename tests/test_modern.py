"""The modern recipe's parts: spectral norm, the weight average, augmentation, conditional BatchNorm."""

from __future__ import annotations

import copy

import pytest
import torch

from acgan.augment import Augment, cutout, parse, translate
from acgan.config import ConfigError, TrainConfig
from acgan.models import ModelConfig, ModernDiscriminator, ModernGenerator, build_networks
from acgan.train import moving_average


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
    moving_average(average, G, decay=0.9, step=10_000)
    for old, new, target in zip(before, average.parameters(), G.parameters(), strict=True):
        assert torch.allclose(new, 0.9 * old + 0.1 * target, atol=1e-6)
    assert torch.equal(next(average.buffers()), next(G.buffers()))  # BatchNorm statistics are copied
    # Early on the decay ramps up from 0.1, so the average leaves the random start quickly.
    fresh = copy.deepcopy(average)
    moving_average(fresh, G, decay=0.999, step=0)
    for old, new, target in zip(average.parameters(), fresh.parameters(), G.parameters(), strict=True):
        assert torch.allclose(new, 0.1 * old + 0.9 * target, atol=1e-6)


def test_augmentations_keep_shapes_and_only_move_or_hide_pixels() -> None:
    images = torch.rand(6, 3, 32, 32) + 0.5  # no zeros, so hidden pixels are countable
    rng = torch.Generator().manual_seed(1)
    shifted = translate(images, rng)
    assert shifted.shape == images.shape
    for original, moved in zip(images, shifted, strict=True):
        # The same pixels shifted by (dy, dx), zeros where they came from outside.
        found = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                 if torch.equal(torch.roll(original, (dy, dx), (1, 2))[:, 4:-4, 4:-4], moved[:, 4:-4, 4:-4])]
        assert len(found) == 1
    hidden = cutout(images, rng)
    assert hidden.shape == images.shape
    assert ((hidden == 0).all(dim=1).flatten(1).sum(1) == 16 * 16).all()  # a 16x16 square per image
    again = Augment("translation,cutout", torch.Generator().manual_seed(5))(images)
    assert torch.equal(again, Augment("translation,cutout", torch.Generator().manual_seed(5))(images))
    images.requires_grad_(True)
    Augment("translation,cutout", rng)(images).sum().backward()
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
    modern = TrainConfig(recipe="modern").resolved()
    assert (modern.lr_g, modern.lr_d, modern.beta1, modern.beta2) == (1e-4, 4e-4, 0.0, 0.9)
    assert modern.augment == "translation" and modern.ema == 0.999
    classic = TrainConfig(lr_g=3e-4).resolved()
    assert classic.recipe == "classic"  # the built-in faces' default
    assert (classic.lr_g, classic.lr_d, classic.augment, classic.ema) == (3e-4, 2e-4, "none", 0.0)
    assert TrainConfig(data="faces").resolved().recipe == "modern"  # real data's default
    assert TrainConfig(data="faces", recipe="classic").resolved().recipe == "classic"
    with pytest.raises(ConfigError, match="recipe must be one of classic, modern"):
        TrainConfig(recipe="fancy").resolved()
