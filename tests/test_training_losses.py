"""The training terms do what the trainer relies on: palette map, face mask, content, texture, bands.

Synthetic tensors only, a fraction of a second each.
"""

from __future__ import annotations

import torch

from engine.models.skin import skin_map
from engine.training.losses import ContentLoss, face_hold, warp_consistency
from engine.training.palette import PaletteMap, palette_target, sliced_transport


def _flat(rgb: tuple[float, float, float], n: int = 1, size: int = 64) -> torch.Tensor:
    """Solid-colour images with a little noise, in [-1, 1]."""
    g = torch.Generator().manual_seed(0)
    base = torch.tensor(rgb).view(1, 3, 1, 1) / 127.5 - 1
    return (base + 0.02 * torch.randn(n, 3, size, size, generator=g)).clamp(-1, 1)


def _stripes(n: int = 4, size: int = 96, period: int = 6) -> torch.Tensor:
    """Diagonal grey strokes: a strong, oriented texture."""
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    s = torch.sign(torch.sin((xx + yy).float() * 2 * torch.pi / period)) * 0.6
    return s.expand(n, 3, size, size).clone()


def test_sliced_transport_moves_one_distribution_onto_another():
    g = torch.Generator().manual_seed(1)
    src = torch.randn(4000, 3, generator=g) * 0.1
    dst = torch.randn(4000, 3, generator=g) * 0.3 + torch.tensor([0.5, -0.2, 0.1])
    moved = sliced_transport(src, dst)
    assert torch.allclose(moved.mean(0), dst.mean(0), atol=0.02)
    assert torch.allclose(moved.std(0), dst.std(0), atol=0.03)


def test_palette_map_moves_photo_colours_towards_the_artworks_and_is_per_pixel():
    photos = [_flat((200, 60, 60), size=32)[0], _flat((60, 200, 60), size=32)[0]]  # reds and greens
    arts = [_flat((60, 60, 200), size=32)[0]]  # a blue painter
    pal = PaletteMap.fit(photos, arts, size=9, samples=2000)
    x = _flat((200, 60, 60), size=16)
    y = pal(x)
    assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1
    assert (y[:, 2] - x[:, 2]).mean() > 0.3  # towards blue
    # the same colour maps to the same colour wherever it is: no blotches can come from the map
    same = torch.full((1, 3, 4, 4), 0.25)
    out = pal(same)
    assert torch.allclose(out, out[..., :1, :1].expand_as(out), atol=1e-6)


def test_palette_identity_changes_nothing():
    x = torch.rand(1, 3, 20, 20) * 2 - 1
    assert torch.allclose(PaletteMap.identity(5)(x), x, atol=1e-6)


def test_skin_colour_keep_holds_dark_skin_but_lets_the_palette_take_the_rest():
    photos = [_flat((141, 85, 60), size=32)[0], _flat((90, 140, 220), size=32)[0]]  # dark skin, sky
    arts = [_flat((120, 120, 120), size=32)[0]]  # a grey painter: would turn skin grey
    pal = PaletteMap.fit(photos, arts, size=9, samples=2000)
    skin, sky = _flat((141, 85, 60), size=16), _flat((90, 140, 220), size=16)
    chroma = lambda t: float((t[:, 0] - t[:, 2]).mean())  # noqa: E731  R-B: warm skin is > 0
    assert chroma(palette_target(pal, skin)) < 0.5 * chroma(skin)  # the map alone greys it
    assert chroma(palette_target(pal, skin, 0.9)) > 0.8 * chroma(skin)  # kept
    assert torch.allclose(palette_target(pal, sky, 0.9), palette_target(pal, sky), atol=0.02)  # not skin


def test_skin_mask_finds_light_and_dark_skin_not_sky_or_grass():
    for skin in ((224, 172, 150), (141, 85, 60)):
        assert skin_map(_flat(skin, size=8)).mean() > 0.6, skin
    for other in ((90, 140, 220), (60, 150, 60), (128, 128, 128)):
        assert skin_map(_flat(other, size=8)).mean() < 0.2, other


def test_content_loss_is_zero_for_the_target_and_grows_with_change():
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    loss = ContentLoss()
    assert float(loss(x, x, x)) < 1e-6
    assert float(loss(x, x, x * 0.5)) > float(loss(x, x, x * 0.9)) > 0


def test_content_loss_holds_faces_harder_than_sky():
    """The same dark patch costs more on skin than on a blue sky (the face-aware option)."""
    skin, sky = _flat((224, 172, 150)), _flat((90, 140, 220))
    patch = torch.zeros_like(skin)
    patch[..., 16:48, 16:48] = -0.4
    loss = ContentLoss(w_skin=3.0)
    on_skin = float(loss(skin, skin, skin + patch))
    on_sky = float(loss(sky, sky, sky + patch))
    assert on_skin > 1.5 * on_sky


def test_pixel_sized_dabs_on_a_face_cost_in_training_where_the_coarse_terms_barely_see_them():
    """A checkerboard of 2 px colour dabs averages away at 1/4 (ContentLoss); the face hold charges it
    in full on skin and nothing on a sky."""
    skin, sky = _flat((224, 172, 150)), _flat((90, 140, 220))
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    dabs = (((yy // 2 + xx // 2) % 2) * 2 - 1).float() * torch.tensor([0.3, -0.3, 0.3]).view(1, 3, 1, 1)
    coarse = float(ContentLoss(w_skin=3.0)(skin, skin, skin + dabs))
    held = float(face_hold(skin + dabs, skin, skin_map(skin)))
    assert held > 0.25 and held > 5 * coarse
    assert float(face_hold(sky + dabs, sky, skin_map(sky))) < 0.01


def test_skin_chroma_weight_holds_face_colour_but_leaves_the_sky_free():
    """A green cast on a face costs more with w_skin_chroma; the same cast on a sky costs the same."""
    skin, sky = _flat((224, 172, 150)), _flat((90, 140, 220))
    cast = torch.tensor([-0.15, 0.15, -0.15]).view(1, 3, 1, 1)  # towards green
    plain, held = ContentLoss(w_skin=3.0), ContentLoss(w_skin=3.0, w_skin_chroma=3.0)
    assert float(held(skin, skin, skin + cast)) > 1.5 * float(plain(skin, skin, skin + cast))
    assert abs(float(held(sky, sky, sky + cast)) - float(plain(sky, sky, sky + cast))) < 1e-3
    assert float(held(skin, skin, skin)) < 1e-6


def test_feature_style_prefers_its_own_artwork_and_moves_an_image_towards_it():
    from engine.models.lossnet import load_lossnet
    from engine.training.losses import FeatureStyle

    net = load_lossnet()
    style = FeatureStyle(net)
    stripes, flat = _stripes(n=2, size=96), _flat((200, 80, 40), n=2, size=96)
    style.set_target([stripes])  # one artwork: every crop is matched to it
    assert float(style(stripes)) < 0.1 * float(style(flat))
    x = flat.clone().requires_grad_(True)
    style(x).backward()
    assert float(x.grad.abs().sum()) > 0


def test_feature_style_draws_one_artwork_per_crop():
    from engine.models.lossnet import load_lossnet
    from engine.training.losses import FeatureStyle

    style = FeatureStyle(load_lossnet())
    a, b = _stripes(n=2, size=96), _flat((200, 80, 40), n=2, size=96)
    style.set_target([a, b])
    assert style.means[0].shape[0] == 2  # a target per artwork, not their average
    torch.manual_seed(0)
    losses = {round(float(style(a[:1])), 4) for _ in range(12)}
    assert len(losses) == 2  # a crop is compared with one artwork or the other, not a mix


def test_perceptual_content_is_zero_for_the_photo_and_grows_with_change():
    from engine.models.lossnet import load_lossnet
    from engine.training.losses import PerceptualContent

    content = PerceptualContent(load_lossnet())
    x = _stripes(n=1, size=96) * 0.5 + _flat((120, 90, 60), size=96) * 0.5
    assert float(content(x, x)) < 1e-8
    small = float(content(x, (x + 0.05 * torch.randn_like(x)).clamp(-1, 1)))
    large = float(content(x, _flat((120, 90, 60), size=96)))  # the stripes gone
    assert 0 < small < large


def test_the_skin_map_is_the_ycbcr_box_on_chroma():
    """engine.models.skin writes the box as one 1x1 convolution (so ONNX repeats it in three ops); it must
    be the same numbers as the box written out on Cb and Cr."""
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    rgb = (x + 1) * 127.5
    r, g, b = rgb[:, 0:1], rgb[:, 1:2], rgb[:, 2:3]
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def inside(v, lo, hi):
        return torch.sigmoid((v - lo) / 3) * torch.sigmoid((hi - v) / 3)

    assert torch.allclose(skin_map(x), inside(cb, 77, 127) * inside(cr, 133, 173), atol=1e-5)


def test_the_warp_term_charges_a_generator_that_passes_sensor_noise_through():
    """With `noise`, the warped photo gets fresh noise: a generator that paints the noise (here the
    identity) pays about its mean size, one that paints the same picture through it (here a fixed one)
    pays nothing; without noise the identity, which commutes with any warp, pays nothing either."""
    torch.manual_seed(0)
    yy, xx = torch.meshgrid(torch.linspace(-0.5, 0.5, 64), torch.linspace(-0.5, 0.5, 64), indexing="ij")
    x = torch.stack([yy, xx, yy * xx], 0)[None].expand(2, 3, 64, 64).contiguous()
    sigma = 0.05
    identity = float(warp_consistency(lambda z: z, x, x, noise=sigma))
    assert abs(identity - sigma * (2 / torch.pi) ** 0.5) < 0.2 * sigma
    assert float(warp_consistency(lambda z: z, x, x, noise=0.0)) < 0.01 * sigma
    flat = torch.zeros_like(x)
    assert float(warp_consistency(lambda z: torch.zeros_like(z), x, flat, noise=sigma)) == 0.0


def test_a_region_pushed_past_black_is_pulled_back_only_by_the_range_charge():
    """Turner's black blotches: where photo + residual fell far below -1 the knee passed almost no
    gradient, so the content term could not bring the region back. The range charge
    (`Generator.overshoot`) can: the same steps with it return the region to the painting's range."""
    from engine.models.generator import build_generator

    g = build_generator("fast")
    x = _flat((60, 50, 40), size=16)  # a dark photo region
    for w_range in (0.0, 10.0):
        residual = torch.full_like(x, -3.0).requires_grad_()  # the generator's change: far past black
        opt = torch.optim.SGD([residual], lr=0.01)
        for _ in range(100):  # per-value sums: each value moves as if it were the only one
            opt.zero_grad()
            content = (g.compose(x, residual) - x).abs().sum()  # wants the photo back
            (content + w_range * g.overshoot(x, residual).sum()).backward()
            opt.step()
        out = g.compose(x, residual).detach()
        if w_range == 0:
            assert float(out.max()) < -0.97  # still black: no gradient reached it
        else:
            assert float(g.overshoot(x, residual.detach()).max()) == 0.0  # back inside the range...
            assert float((out - x).abs().mean()) < 0.05  # ...where the content term brought the photo back


def test_the_range_charge_is_zero_inside_the_range_and_the_excess_beyond_it():
    from engine.models.generator import build_generator

    g = build_generator("fast")
    x = torch.tensor([-0.9, 0.0, 0.9]).view(1, 3, 1, 1)
    assert float(g.overshoot(x, torch.tensor([0.05, 0.9, 0.1]).view(1, 3, 1, 1)).abs().max()) == 0.0
    over = g.overshoot(x, torch.tensor([-0.6, 1.5, 0.3]).view(1, 3, 1, 1)).flatten()
    assert torch.allclose(over, torch.tensor([0.5, 0.5, 0.2]))
    photo = torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        assert torch.equal(g(photo), g.compose(photo, g.residual(photo)))  # training's split is the forward
