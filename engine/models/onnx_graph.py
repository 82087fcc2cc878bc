"""A style's generator written out as an ONNX graph, from its weights, in a few milliseconds.

Why by hand rather than `torch.onnx.export`: the TorchScript exporter is deprecated and cannot
export `atanh` or a `group_norm` whose group count comes from the input, and the newer exporter
needs `onnxscript` and `onnx` (two more dependencies) and seconds per style. The generator is a
short, fixed chain of well-known operators (padding, convolution, instance norm, ReLU, add,
tanh/atanh, and a grouped transposed convolution as the pixel shuffle of the folded upsampling), so
this module emits exactly that chain for any `GeneratorConfig`, old layouts included, serialized
with a minimal protocol-buffer writer (only what ONNX needs: varints, fixed32 floats and
length-delimited fields). Nothing is downloaded, nothing is written to disk, and ONNX Runtime loads
the bytes directly. `tests/test_inference.py` checks the graph
against the torch generator, for each architecture and layout.

Three graphs per style (`norms`):
- "own": normalization statistics per image (InstanceNormalization), for stills and batches;
- "blend": every norm also takes the statistics it should blend with and returns the ones it used,
  so the engine can capture statistics on a thumbnail (`engine.tiling`) or smooth them across live
  frames (`engine.live`), like `StatsNorm` does. Inputs `mean_i`/`var_i` (C,) and `keep` (a float32
  scalar: 0 = this image's own statistics, 1 = exactly the given ones, between = an exponential
  moving average); outputs `mean_out_i`/`var_out_i`;
- "given": every norm applies the given `mean_i`/`var_i` and measures nothing (the tiles of a photo,
  frozen on its thumbnail's statistics: 8 % less work than "blend").
"""

from __future__ import annotations

import struct

import numpy as np
import torch
from torch import nn

from engine.models.generator import KNEE, Generator, ResidualBlock, UpBlock, fold_upsampling
from engine.models.norm import StatsNorm
from engine.models.skin import BOX_BIAS, BOX_WEIGHT

OPSET = 17
IR_VERSION = 8
_FLOAT, _INT64 = 1, 7  # TensorProto.DataType
_ATTR_FLOAT, _ATTR_INT, _ATTR_STRING, _ATTR_INTS = 1, 2, 3, 7  # AttributeProto.AttributeType


# ------------------------------------------------------------------------------ protocol buffers
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 values are written as their two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _key(field, 2) + _varint(len(data)) + data


def _float(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


def _attribute(name: str, value: float | int | str | list[int]) -> bytes:
    out = _bytes(1, name)
    if isinstance(value, float):
        return out + _float(2, value) + _int(20, _ATTR_FLOAT)
    if isinstance(value, int):
        return out + _int(3, value) + _int(20, _ATTR_INT)
    if isinstance(value, str):
        return out + _bytes(4, value) + _int(20, _ATTR_STRING)
    return out + b"".join(_int(8, v) for v in value) + _int(20, _ATTR_INTS)


def _tensor(name: str, array: np.ndarray) -> bytes:
    data_type = _INT64 if array.dtype == np.int64 else _FLOAT
    array = np.ascontiguousarray(array, dtype=np.int64 if data_type == _INT64 else np.float32)
    return (b"".join(_int(1, d) for d in array.shape) + _int(2, data_type) + _bytes(8, name)
            + _bytes(9, array.astype(array.dtype.newbyteorder("<")).tobytes()))


def _value_info(name: str, dims: list[int | str]) -> bytes:
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in dims)
    tensor_type = _int(1, _FLOAT) + _bytes(2, shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


# ------------------------------------------------------------------------------ graph builder
class _Graph:
    def __init__(self) -> None:
        self.nodes: list[bytes] = []
        self.initializers: list[bytes] = []
        self.inputs: list[bytes] = []
        self.outputs: list[bytes] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array: np.ndarray | torch.Tensor, hint: str = "c") -> str:
        if isinstance(array, torch.Tensor):
            array = array.detach().float().cpu().numpy()
        name = self.name(hint)
        self.initializers.append(_tensor(name, np.asarray(array)))
        return name

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs) -> str | list[str]:
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        node = (b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outs)
                + _bytes(3, outs[0]) + _bytes(4, op_type)
                + b"".join(_bytes(5, _attribute(k, v)) for k, v in attrs.items()))
        self.nodes.append(node)
        return outs[0] if n_out == 1 else outs

    def rename(self, value: str, name: str) -> None:
        """Make `value` available under `name` (graph outputs have fixed names)."""
        self.nodes.append(_bytes(1, value) + _bytes(2, name) + _bytes(3, name) + _bytes(4, "Identity"))

    def model(self) -> bytes:
        graph = (b"".join(_bytes(1, n) for n in self.nodes) + _bytes(2, "atelier_generator")
                 + b"".join(_bytes(5, t) for t in self.initializers)
                 + b"".join(_bytes(11, i) for i in self.inputs) + b"".join(_bytes(12, o) for o in self.outputs))
        opset = _bytes(1, "") + _int(2, OPSET)
        return _int(1, IR_VERSION) + _bytes(2, "atelier") + _bytes(7, graph) + _bytes(8, opset)


class _Writer:
    """Walks a Generator's modules in forward order and emits the matching ONNX nodes."""

    def __init__(self, generator: Generator, norms: str) -> None:
        if norms not in ("own", "blend", "given"):
            raise ValueError(norms)
        self.g = _Graph()
        self.gen = generator
        self.norms = norms
        self.norm_index = 0
        self.keep = ""
        self.one = ""
        self.zero = ""

    def build(self) -> bytes:
        g, cfg = self.g, self.gen.config
        g.inputs.append(_value_info("x", [1, 3, "h", "w"]))
        if self.gen.config.fill_holes:
            g.inputs.append(_value_info("holes", [1, 1, "h", "w"]))
        if self.norms == "blend":
            g.inputs.append(_value_info("keep", []))
            self.one = g.const(np.array(1.0, np.float32), "one")
            self.zero = g.const(np.array(0.0, np.float32), "zero")
            self.keep = "keep"
            self.keep_rest = g.op("Sub", [self.one, "keep"])
        x = "x"
        h = self.seq(self.gen.stem, self.stem_input(x))
        skips = [h]
        for down in self.gen.downs:
            h = self.seq(down, h)
            skips.append(h)
        for block in self.gen.blocks:
            h = self.residual(block, h)
        for i, up in enumerate(self.gen.ups):
            h = self.seq(up.conv[2:], self.upsample_conv(up, h))
            if cfg.skips:
                h = g.op("Add", [h, skips[-2 - i]])
        residual = self.seq(self.gen.head, h)
        if cfg.output == "soft":
            # tanh(atanh(p) + r) = (p + tanh r) / (1 + p tanh r), exactly: ORT's Atanh is a scalar loop
            # (13 % of the whole pass at 1024x768), Tanh and the rest are vectorized.
            lo, hi = g.const(np.array(-0.999, np.float32)), g.const(np.array(0.999, np.float32))
            p, t = g.op("Clip", [x, lo, hi]), g.op("Tanh", [residual])
            one = g.const(np.array(1.0, np.float32), "one")
            y = g.op("Div", [g.op("Add", [p, t]), g.op("Add", [one, g.op("Mul", [p, t])])])
        elif cfg.output == "knee":  # generator.soft_clip(x + residual), the same five passes
            s = g.op("Add", [x, residual])
            lo, hi = g.const(np.array(-KNEE, np.float32)), g.const(np.array(KNEE, np.float32))
            inside = g.op("Clip", [s, lo, hi])
            excess = g.op("Mul", [g.op("Sub", [s, inside]), g.const(np.array(1 / (1 - KNEE), np.float32))])
            bent = g.op("Mul", [g.op("Tanh", [excess]), g.const(np.array(1 - KNEE, np.float32))])
            y = g.op("Add", [inside, bent])
        else:
            lo, hi = g.const(np.array(-1.0, np.float32)), g.const(np.array(1.0, np.float32))
            y = g.op("Clip", [g.op("Add", [x, residual]), lo, hi])
        g.rename(y, "y")
        g.outputs.insert(0, _value_info("y", [1, 3, "h", "w"]))
        return g.model()

    def upsample_conv(self, up: UpBlock, h: str) -> str:
        """UpBlock's folded upsampling and conv (`fold_upsampling`): edge-extend, one half-resolution
        conv, then the pixel shuffle as a grouped ConvTranspose whose 2x2 kernels are one-hot (it copies:
        4 ms at 1024x768 where ONNX Runtime's DepthToSpace took 15-24 ms)."""
        g = self.g
        weight = fold_upsampling(up.conv[1].weight, up.mode)
        h = g.op("Pad", [h, g.const(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")], mode="edge")
        h = g.op("Conv", [h, g.const(weight, "w")], kernel_shape=[3, 3], strides=[1, 1], pads=[0, 0, 0, 0],
                 dilations=[1, 1], group=1)
        c_out = weight.shape[0] // 4
        shuffle = np.zeros((4 * c_out, 1, 2, 2), np.float32)
        for c in range(c_out):
            for a in range(2):
                for b in range(2):
                    shuffle[4 * c + 2 * a + b, 0, a, b] = 1.0
        return g.op("ConvTranspose", [h, g.const(shuffle, "shuffle")], kernel_shape=[2, 2], strides=[2, 2],
                    group=c_out)

    def stem_input(self, x: str) -> str:
        """Generator.stem_input: from layout 3 the photo and its skin map (engine.models.skin), side by
        side. Layout 4 fills the holes a face encloses: a flood fill, which has no ONNX operator, so the
        graph takes them as the input `holes` (`enclosed_holes`, found beside the graph on the whole
        image) and keeps the larger of the two maps, as `face_map` does."""
        if not self.gen.config.guide:
            return x
        g = self.g
        # skin_map's 1x1 conv as one matrix product over the image's pixels: as a Conv, ONNX Runtime
        # padded its 4 outputs to 16 channels and reordered them back (13.8 of a 1024x768 pass's ~190 ms;
        # as a Gemm the whole pass is 4 % faster, 187 -> 180 ms, interleaved).
        pixels = g.op("Reshape", [x, g.const(np.array([3, -1], np.int64), "shape")])  # N = 1
        edges = g.op("Gemm", [g.const(BOX_WEIGHT.reshape(4, 3), "box_w"), pixels,
                              g.const(BOX_BIAS.reshape(4, 1), "box_b")])
        skin = g.op("ReduceProd", [g.op("Sigmoid", [edges])], axes=[0], keepdims=1)
        side = g.op("Slice", [g.op("Shape", [x]), g.const(np.array([2], np.int64)), g.const(np.array([4], np.int64))])
        skin = g.op("Reshape", [skin, g.op("Concat", [g.const(np.array([1, 1], np.int64)), side], axis=0)])
        if self.gen.config.fill_holes:
            skin = g.op("Max", [skin, "holes"])
        return g.op("Concat", [x, skin], axis=1)

    def seq(self, modules: nn.Sequential, h: str) -> str:
        g = self.g
        for m in modules:
            if isinstance(m, nn.ReflectionPad2d):
                p = m.padding[0]
                h = g.op("Pad", [h, g.const(np.array([0, 0, p, p, 0, 0, p, p], np.int64), "pads")], mode="reflect")
            elif isinstance(m, nn.Conv2d):
                ins = [h, g.const(m.weight, "w")] + ([g.const(m.bias, "b")] if m.bias is not None else [])
                k = list(m.kernel_size)
                h = g.op("Conv", ins, kernel_shape=k, strides=list(m.stride), pads=[0, 0, 0, 0],
                         dilations=[1, 1], group=1)
            elif isinstance(m, StatsNorm):
                h = self.norm(m, h)
            elif isinstance(m, nn.ReLU):
                h = g.op("Relu", [h])
            elif isinstance(m, nn.Sequential):
                h = self.seq(m, h)
            else:
                raise NotImplementedError(f"no ONNX form for {type(m).__name__}")
        return h

    def residual(self, block: ResidualBlock, h: str) -> str:
        return self.g.op("Add", [h, self.seq(block.body, h)])

    def norm(self, m: StatsNorm, h: str) -> str:
        g = self.g
        c = m.weight.shape[0]
        if self.norms == "own":  # one fused kernel: faster here than the reductions below (A/B, 7 rounds)
            return g.op("InstanceNormalization", [h, g.const(m.weight, "gamma"), g.const(m.bias, "beta")],
                        epsilon=float(m.eps))
        i = self.norm_index
        self.norm_index += 1
        # Statistics as (C,) vectors over the one image (N = 1): the mean and E[x^2] in two reductions
        # (ReduceSumSquare squares as it sums: no squared copy of the activation), then one fused
        # BatchNormalization applies the blended statistics (not a Mul and an Add over the activation).
        prev_mean, prev_var = f"mean_{i}", f"var_{i}"
        g.inputs += [_value_info(prev_mean, [c]), _value_info(prev_var, [c])]
        gamma, beta = g.const(m.weight, "gamma"), g.const(m.bias, "beta")
        if self.norms == "given":
            return g.op("BatchNormalization", [h, gamma, beta, prev_mean, prev_var], epsilon=float(m.eps))
        mean = g.op("ReduceMean", [h], axes=[0, 2, 3], keepdims=0)
        sq = g.op("Div", [g.op("ReduceSumSquare", [h], axes=[0, 2, 3], keepdims=0), self.pixels(h)])
        var = g.op("Max", [g.op("Sub", [sq, g.op("Mul", [mean, mean])]), self.zero])
        # keep * given + (1 - keep) * own
        mean = g.op("Add", [g.op("Mul", [self.keep, prev_mean]), g.op("Mul", [self.keep_rest, mean])])
        var = g.op("Add", [g.op("Mul", [self.keep, prev_var]), g.op("Mul", [self.keep_rest, var])])
        out_mean, out_var = f"mean_out_{i}", f"var_out_{i}"
        g.rename(mean, out_mean)
        g.rename(var, out_var)
        g.outputs += [_value_info(out_mean, [c]), _value_info(out_var, [c])]
        return g.op("BatchNormalization", [h, gamma, beta, mean, var], epsilon=float(m.eps))

    def pixels(self, h: str) -> str:
        """H * W of activation `h`, as a float32 scalar."""
        g = self.g
        hw = g.op("Slice", [g.op("Shape", [h]), g.const(np.array([2], np.int64)), g.const(np.array([4], np.int64))])
        return g.op("Cast", [g.op("ReduceProd", [hw], keepdims=0)], to=_FLOAT)


def generator_to_onnx(generator: Generator, norms: str = "own") -> bytes:
    """The generator as a serialized ONNX model for one image (float32; input `x` 1 x 3 x H x W in [-1, 1],
    output `y`; layout 4 also takes `holes`, 1 x 1 x H x W)."""
    with torch.no_grad():
        return _Writer(generator, norms).build()


def norm_count(generator: Generator) -> int:
    return sum(isinstance(m, StatsNorm) for m in generator.modules())
