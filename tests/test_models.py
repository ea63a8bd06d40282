"""The networks: output shapes and ranges, the channel plan of the classic design, labels that matter."""

from __future__ import annotations

import pytest
import torch

from acgan.nets import ClassicDiscriminator, ClassicGenerator, ModelConfig


@pytest.mark.parametrize("resolution", [32, 64, 128])
def test_shapes_and_ranges(resolution: int) -> None:
    cfg = ModelConfig(resolution=resolution, width=8)
    G, D = ClassicGenerator(cfg), ClassicDiscriminator(cfg)
    z = torch.randn(3, cfg.z_dim)
    images = G(z, torch.tensor([0, 5, 11]), torch.tensor([0, 4, 10]))
    assert images.shape == (3, 3, resolution, resolution)
    assert images.min() >= -1 and images.max() <= 1
    validity, hair, eyes = D(images)
    assert validity.shape == (3,) and hair.shape == (3, 12) and eyes.shape == (3, 11)


def test_classic_channel_plan_at_width_64() -> None:
    cfg = ModelConfig(resolution=64, width=64)
    G, D = ClassicGenerator(cfg), ClassicDiscriminator(cfg)
    g_convs = [m for m in G.net.modules() if isinstance(m, (torch.nn.ConvTranspose2d, torch.nn.Conv2d))]
    assert [m.out_channels for m in g_convs] == [512, 256, 128, 64, 64, 3]
    assert isinstance(g_convs[-2], torch.nn.Conv2d) and g_convs[-2].kernel_size == (3, 3)
    d_convs = [m for m in D.features if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in d_convs] == [64, 128, 256, 512]
    assert all(m.stride == (2, 2) and m.kernel_size == (4, 4) for m in d_convs)
    # BatchNorm after every conv but the first.
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in D.features) == 3
    assert G.hair_embedding.num_embeddings == 12 and G.eye_embedding.num_embeddings == 11


def test_labels_change_the_image() -> None:
    torch.manual_seed(0)
    G = ClassicGenerator(ModelConfig(resolution=32, width=8)).eval()
    z = torch.randn(1, 100)
    blue = G(z, torch.tensor([8]), torch.tensor([9]))
    black = G(z, torch.tensor([9]), torch.tensor([9]))
    # Untrained and in eval mode the outputs are tiny, so compare relative to their size.
    assert (blue - black).abs().max() > 0.05 * blue.abs().max()


def test_bad_resolution_is_refused() -> None:
    with pytest.raises(ValueError, match="resolution must be 32, 64 or 128"):
        ModelConfig(resolution=48)
