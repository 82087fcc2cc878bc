"""Where a photo shows faces: MTCNN (Zhang et al. 2016), three small nets in a cascade, weights shipped.

Why a detector beside the chroma skin map (engine.models.skin): the map cannot tell a face from a warm
wall, and a face's eye in shadow joins the background through the shadowed cheek (map 0.3-0.5), so the
hole fill leaves it out and every style paints over it (kodim15). The detector says where faces are; the
fill can then count weak skin as skin inside them only. Measured on this project's 140 photos at 512 px
(2 threads): median 24 ms a photo, every face of the face photos found, no box on walls, skies or kodim02;
the few false boxes at a 0.9 threshold cover 0.2-4 % of their photo.

The weights are facenet-pytorch's (MIT), converted by scripts/mtcnn_from_facenet.py; the definitions and
the cascade are ours. Boxes are (x0, y0, x1, y1, score) in the photo's pixels.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file

from engine.models.skin import hole_scale

WEIGHTS = Path(__file__).resolve().parents[2] / "resources" / "models" / "mtcnn.safetensors"
THRESHOLDS = (0.6, 0.7, 0.9)  # P-, R-, O-net; 0.9 for the last (facenet's 0.7 boxed fruit and lights)
MIN_FACE = 20  # px of the searched image: smaller faces are left to the skin map (facenet's default)
# Photos are searched at no more than this long side (faces below 20 px there are left to the skin map):
# the cost of the pyramid grows with the area (1024x768 photos: 20-27 ms on 2 threads).
DETECT_SIDE = 512
# Nor are faces narrower than this many cells of the fill's grid (engine.models.skin.hole_scale) looked
# for: an eye is a fifth of a face, so below 8 cells it is under 2 cells, a hole the size of the pooled
# map's noise that the detector cannot help the fill find. At 256x256 (4 px cells) that is 32 px, and the
# search there costs 7 instead of 14 ms a photo (median of 70 photos); at 1024x768 the 512 px search's
# 20 px (40 px of the photo, 10 cells) is already coarser.
MIN_FACE_CELLS = 8
PYRAMID_STEP = 0.709  # each level of the P-net's pyramid is this much smaller (the paper's)


def _conv(cin: int, cout: int, k: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k), nn.PReLU(cout)]


class _Net(nn.Module):
    """A conv trunk, then either 1x1 convolutions (P-net, fully convolutional) or a dense layer and heads.

    Parameter names follow the converted file (conv1, prelu1, ...), so loading is strict."""

    def __init__(self, convs: list[tuple[int, int, int, tuple[int, int] | None]], dense: tuple[int, int] | None,
                 heads: dict[str, int]) -> None:
        super().__init__()
        self.pools: dict[int, tuple[int, int]] = {}
        for i, (cin, cout, k, pool) in enumerate(convs, 1):
            conv, prelu = _conv(cin, cout, k)
            self.add_module(f"conv{i}", conv)
            self.add_module(f"prelu{i}", prelu)
            if pool:
                self.pools[i] = pool
        self.depth = len(convs)
        self.dense = dense
        if dense:
            self.add_module(f"dense{self.depth + 1}", nn.Linear(*dense))
            self.add_module(f"prelu{self.depth + 1}", nn.PReLU(dense[1]))
        for name, n in heads.items():
            self.add_module(name, nn.Conv2d(convs[-1][1], n, 1) if dense is None else nn.Linear(dense[1], n))
        self.heads = list(heads)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = x.contiguous(memory_format=torch.channels_last)  # 3x faster pooling and convolutions on CPU
        for i in range(1, self.depth + 1):
            x = getattr(self, f"prelu{i}")(getattr(self, f"conv{i}")(x))
            if i in self.pools:
                k, s = self.pools[i]
                x = F.max_pool2d(x, k, s, ceil_mode=True)
        if self.dense:
            # The original (Caffe) nets flattened width-major: the converted weights expect that order.
            x = x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)
            x = getattr(self, f"prelu{self.depth + 1}")(getattr(self, f"dense{self.depth + 1}")(x))
        return [getattr(self, h)(x) for h in self.heads]


def _pnet() -> _Net:
    return _Net([(3, 10, 3, (2, 2)), (10, 16, 3, None), (16, 32, 3, None)], None,
                {"conv4_1": 2, "conv4_2": 4})


def _rnet() -> _Net:
    return _Net([(3, 28, 3, (3, 2)), (28, 48, 3, (3, 2)), (48, 64, 2, None)], (576, 128),
                {"dense5_1": 2, "dense5_2": 4})


def _onet() -> _Net:
    return _Net([(3, 32, 3, (3, 2)), (32, 64, 3, (3, 2)), (64, 64, 3, (2, 2)), (64, 128, 2, None)], (1152, 256),
                {"dense6_1": 2, "dense6_2": 4, "dense6_3": 10})


class FaceDetector(nn.Module):
    """MTCNN's cascade: the P-net proposes boxes over an image pyramid, the R-net (24 px crops) and the
    O-net (48 px crops) reject and refine them."""

    def __init__(self, weights: Path = WEIGHTS) -> None:
        super().__init__()
        # Built without touching torch's random stream: the first detection of a training run happens
        # mid-step, and a run resumed in a new process would otherwise draw different numbers from then on.
        with torch.random.fork_rng(devices=[]):
            self.pnet, self.rnet, self.onet = _pnet(), _rnet(), _onet()
        state = load_file(str(weights))
        for name in ("pnet", "rnet", "onet"):
            part = {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(name + ".")}
            getattr(self, name).load_state_dict(part, strict=True)
        self.to(memory_format=torch.channels_last)
        self.eval()

    @torch.inference_mode()
    def detect(self, rgb: np.ndarray, thresholds: tuple[float, float, float] = THRESHOLDS,
               min_face: int = MIN_FACE) -> np.ndarray:
        """uint8 H x W x 3 -> (K, 5) float32 boxes (x0, y0, x1, y1, score), best first; (0, 5) if none."""
        img = torch.from_numpy(np.array(rgb, dtype=np.float32)).permute(2, 0, 1)[None]
        h, w = img.shape[-2:]
        boxes = self._propose(img, thresholds[0], min_face)
        if len(boxes):
            boxes = self._refine(img, boxes, self.rnet, 24, thresholds[1])
        if len(boxes):
            boxes = self._refine(img, boxes, self.onet, 48, thresholds[2], final=True)
        if not len(boxes):
            return np.zeros((0, 5), np.float32)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clamp(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clamp(0, h)
        return boxes[boxes[:, 4].argsort(descending=True)].numpy().astype(np.float32)

    def _propose(self, img: torch.Tensor, threshold: float, min_face: int) -> torch.Tensor:
        """P-net over the pyramid: (N, 5) square boxes with scores."""
        h, w = img.shape[-2:]
        scale, found = 12.0 / min_face, []
        while min(h, w) * scale >= 12:
            small = _normalize(F.interpolate(img, size=(int(h * scale + 1), int(w * scale + 1)), mode="area"))
            logits, reg = self.pnet(small)
            prob = logits.softmax(1)[0, 1]
            ys, xs = torch.nonzero(prob >= threshold, as_tuple=True)
            if len(ys):
                # Each output cell sees a 12 px window at stride 2 of the scaled image.
                x0, y0 = ((2 * xs + 1) / scale).floor(), ((2 * ys + 1) / scale).floor()
                x1, y1 = ((2 * xs + 12) / scale).floor(), ((2 * ys + 12) / scale).floor()
                b = torch.stack([x0, y0, x1, y1, prob[ys, xs]], 1)
                r = reg[0][:, ys, xs].T
                keep = nms(b[:, :4], b[:, 4], 0.5)
                found.append(torch.cat([b[keep], r[keep]], 1))
            scale *= PYRAMID_STEP
        if not found:
            return torch.zeros(0, 5)
        b = torch.cat(found)
        b = b[nms(b[:, :4], b[:, 4], 0.7)]
        bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        moved = b[:, :4] + b[:, 5:9] * torch.stack([bw, bh, bw, bh], 1)
        return _square(torch.cat([moved, b[:, 4:5]], 1))

    def _refine(self, img: torch.Tensor, boxes: torch.Tensor, net: _Net, side: int, threshold: float,
                final: bool = False) -> torch.Tensor:
        """Crops of `boxes` at side x side through `net`: the boxes it keeps, moved by its regression."""
        crops = torch.cat([_crop(img, b, side) for b in boxes])
        out = net(_normalize(crops))
        prob, reg = out[0].softmax(1)[:, 1], out[1]
        keep = prob > threshold
        boxes, reg, prob = boxes[keep, :4], reg[keep], prob[keep]
        if not final:
            kept = nms(boxes, prob, 0.7)
            boxes, reg, prob = boxes[kept], reg[kept], prob[kept]
        bw, bh = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
        boxes = torch.cat([boxes + reg * torch.stack([bw, bh, bw, bh], 1), prob[:, None]], 1)
        if final:  # the last stage drops boxes mostly inside a better one (a face within a face)
            return boxes[nms(boxes[:, :4], boxes[:, 4], 0.7, by_smaller=True)]
        return _square(boxes)


def _normalize(x: torch.Tensor) -> torch.Tensor:
    return (x - 127.5) * 0.0078125


def _square(b: torch.Tensor) -> torch.Tensor:
    """Boxes grown to squares about their centres (the nets' crops are square)."""
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    side = torch.maximum(w, h)
    x0, y0 = b[:, 0] + (w - side) / 2, b[:, 1] + (h - side) / 2
    return torch.stack([x0, y0, x0 + side, y0 + side, b[:, 4]], 1)


def _crop(img: torch.Tensor, box: torch.Tensor, side: int) -> torch.Tensor:
    """The part of `img` under `box` (truncated to whole pixels, clipped to the image, one-based as the
    original cascade counted) resized to side x side by area averaging."""
    h, w = img.shape[-2:]
    x0, y0, x1, y1 = (int(v) for v in box[:4].trunc())
    x0, y0, x1, y1 = max(x0, 1), max(y0, 1), min(x1, w), min(y1, h)
    if x1 <= x0 - 1 or y1 <= y0 - 1:
        return img.new_zeros(1, 3, side, side)
    return F.interpolate(img[:, :, y0 - 1:y1, x0 - 1:x1], size=(side, side), mode="area")


def nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float, by_smaller: bool = False) -> torch.Tensor:
    """Indices of the boxes greedy non-maximum suppression keeps, best first: each box drops those that
    overlap it more than `threshold` (intersection over union, or over the smaller box: MTCNN's last
    stage, which drops a face found inside a better one). Ours, not torchvision's: the installers leave
    torchvision out."""
    b = boxes.detach().double().cpu().numpy()
    one = 1.0 if by_smaller else 0.0  # the original cascade counted pixels inclusively only there
    area = (b[:, 2] - b[:, 0] + one) * (b[:, 3] - b[:, 1] + one)
    # One greedy pass over the boxes best first; each box kept drops, in one vector step over all boxes,
    # those it overlaps. Slicing the remaining boxes for each kept one (the loop before) cost 0.6 ms a
    # call on a 1024x768 photo's pyramid levels; an all-pairs matrix was as fast but grows with the square
    # of the candidates (1,382 at most over the project's photos, 16,000 possible at one level).
    x0, y0, x1, y1 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    dropped, keep = np.zeros(len(b), bool), []
    for i in np.argsort(-scores.detach().double().cpu().numpy(), kind="stable").tolist():
        if dropped[i]:
            continue
        keep.append(i)
        iw = np.maximum(0, np.minimum(x1[i], x1) - np.maximum(x0[i], x0) + one)
        ih = np.maximum(0, np.minimum(y1[i], y1) - np.maximum(y0[i], y0) + one)
        inter = iw * ih
        overlap = inter / (np.minimum(area[i], area) if by_smaller else area[i] + area - inter)
        dropped |= overlap > threshold
    return torch.tensor(keep, dtype=torch.int64)


def face_ellipses(boxes: np.ndarray, height: int, width: int, grow: float = 1.0) -> torch.Tensor:
    """(1, 1, H, W) in {0, 1}: an ellipse `grow` times each box, inscribed in it by default. 1.3x (to take
    in forehead and jaw) reached into the hair, where dark strands walled little pockets in that the
    generator then kept as photo: dark blocks above kodim15's brow under Ukiyo-e; the box's own ellipse
    still holds both eyes."""
    ys, xs = torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32)
    return _ellipses(boxes, ys, xs, grow)[None, None]


def _ellipses(boxes: np.ndarray, ys: torch.Tensor, xs: torch.Tensor, grow: float) -> torch.Tensor:
    """`face_ellipses` at the pixels of rows `ys` and columns `xs` only, (len(ys), len(xs))."""
    yy, xx = ys[:, None], xs[None, :]
    mask = torch.zeros(len(ys), len(xs))
    for x0, y0, x1, y1, _ in boxes:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rx, ry = max((x1 - x0) * grow / 2, 1.0), max((y1 - y0) * grow / 2, 1.0)
        mask[((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1] = 1
    return mask


def draw_face_ellipses(holes: torch.Tensor, faces: list[np.ndarray]) -> torch.Tensor:
    """Set each image's detected faces (`face_ellipses`, the box's own ellipse) to 1 in `holes` (N, 1, H,
    W), in place, drawn over each box only, and return it. In place because its callers own a fresh map:
    a copy of a 4000x3000 photo's cost 14 of the 15 ms this takes.

    Why: the fill's map is what the generator sees as face and what training holds. Lids, the shadow
    beside a nose and pale strands over a brow score 0.3-0.8 on the chroma map, so every style let half
    its strokes through there: Turner's yellow specks, Munch's orange patch, Cézanne's orange flecks on
    kodim04 at 1:1. With the ellipse as face the shipped files paint them as skin, untrained for it
    (2026-12-07: mean change inside kodim04's face box 3.8-12.1 -> 3.3-9.1 levels over the six)."""
    h, w = holes.shape[-2:]
    for i, boxes in enumerate(faces):
        for box in boxes:
            r0, r1 = max(0, int(np.floor(box[1]))), min(h, int(np.ceil(box[3])) + 1)
            c0, c1 = max(0, int(np.floor(box[0]))), min(w, int(np.ceil(box[2])) + 1)
            if r0 >= r1 or c0 >= c1:
                continue
            ys = torch.arange(r0, r1, dtype=torch.float32)
            xs = torch.arange(c0, c1, dtype=torch.float32)
            part = _ellipses(box[None], ys, xs, 1.0).to(holes)
            holes[i, 0, r0:r1, c0:c1] = torch.maximum(holes[i, 0, r0:r1, c0:c1], part)
    return holes


def face_cells(boxes: np.ndarray, height: int, width: int, scale: int) -> torch.Tensor:
    """(1, h, w) bools on the fill's grid of a height x width photo (cells of `scale` px): the cells mostly
    inside a face, exactly `skin.pooled(face_ellipses(...), scale) > 0.5`, but drawn only over the cells
    the ellipses reach. The photo-sized mask cost a 4000x2667 photo about 100 ms and 40 MB per copy,
    only to be pooled to a grid 64x smaller."""
    gh, gw = -(-height // scale), -(-width // scale)
    cells = torch.zeros(1, gh, gw, dtype=torch.bool)
    if not len(boxes):
        return cells
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    rx = np.maximum((boxes[:, 2] - boxes[:, 0]) / 2, 1.0)
    ry = np.maximum((boxes[:, 3] - boxes[:, 1]) / 2, 1.0)
    # The pixels the ellipses can reach, one more on each side for rounding, as whole cells.
    c0 = max(0, int(np.floor((cx - rx).min())) - 1) // scale
    c1 = min(width - 1, int(np.ceil((cx + rx).max())) + 1) // scale + 1
    r0 = max(0, int(np.floor((cy - ry).min())) - 1) // scale
    r1 = min(height - 1, int(np.ceil((cy + ry).max())) + 1) // scale + 1
    if c0 >= c1 or r0 >= r1:
        return cells
    # A cell past the photo's edge pools the last row or column repeated (skin.pooled): so do its pixels.
    ys = torch.arange(r0 * scale, r1 * scale).clamp(max=height - 1).float()
    xs = torch.arange(c0 * scale, c1 * scale).clamp(max=width - 1).float()
    part = _ellipses(boxes, ys, xs, 1.0)[None, None]
    cells[0, r0:r1, c0:c1] = (F.avg_pool2d(part, scale) if scale > 1 else part)[0, 0] > 0.5
    return cells


def find_faces(rgb: np.ndarray) -> np.ndarray:
    """The faces of a uint8 H x W x 3 photo, (K, 5) boxes in its pixels, searched at no more than
    `DETECT_SIDE` px, for faces of at least `MIN_FACE_CELLS` cells of the fill."""
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(h, w))
    min_face = max(MIN_FACE, round(MIN_FACE_CELLS * hole_scale(h, w) * scale))
    small = rgb
    if scale < 1:
        from PIL import Image

        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize(size, Image.Resampling.BOX))
    boxes = detector().detect(small, min_face=min_face)
    boxes[:, :4] *= np.array([w / small.shape[1], h / small.shape[0]] * 2, np.float32)
    return boxes


def find_faces_in(x: torch.Tensor) -> list[np.ndarray]:
    """(N, 3, H, W) in [-1, 1] -> each image's faces (`find_faces`), boxes in x's pixels.

    Faces travel as boxes, not as photo-sized masks: each user draws them on its own grid
    (`cells_of`), a camera shift moves them exactly (the live view), and a loss's smaller view of a
    crop scales them; none draws a photo-sized mask only to pool it to a grid 16x smaller."""
    rgb = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return [find_faces(im) for im in rgb]


def cells_of(faces: list[np.ndarray], height: int, width: int, scale: int) -> torch.Tensor:
    """(N, h, w) bools: `face_cells` of each image's boxes on the fill grid of a height x width image."""
    return torch.cat([face_cells(boxes, height, width, scale) for boxes in faces])


def scaled(faces: list[np.ndarray], sy: float, sx: float) -> list[np.ndarray]:
    """The boxes of an image resized by (sy, sx)."""
    return [boxes * np.array([sx, sy, sx, sy, 1.0], np.float32) for boxes in faces]


def moved(faces: list[np.ndarray], dy: float, dx: float) -> list[np.ndarray]:
    """The boxes where they are in `engine.live.shift_image(image, dy, dx)`: that samples the image at
    (y + dy, x + dx), so what was at p is now at p - (dy, dx)."""
    return [boxes - np.array([dx, dy, dx, dy, 0.0], np.float32) for boxes in faces]


@lru_cache(maxsize=1)
def detector() -> FaceDetector:
    """The one detector of this process (2 MB of weights, loaded on first use)."""
    return FaceDetector()
