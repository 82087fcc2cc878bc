"""Make the face detector's weights: MTCNN's three nets as one safetensors file, from the `facenet-pytorch` wheel.

The face fill (engine.models.skin) finds faces by skin chroma alone, and a face's eye in shadow joins the
background there and is painted over (kodim15 under every built-in). A face detector says where faces
are. The only registry package that ships one we may redistribute in PyTorch form is `facenet-pytorch`
(MIT; MTCNN of Zhang et al. 2016, 2.0 MB of weights in `facenet_pytorch/data/`). It pins torch < 2.3, so
it is never a dependency: this script downloads the wheel alone (`pip download --no-deps`), reads the
three state dicts with `weights_only=True` and writes them, prefixed `pnet.`, `rnet.`, `onet.`, to
`resources/models/mtcnn.safetensors` (the model definitions are ours, `engine/models/faces.py`).

    python scripts/mtcnn_from_facenet.py            # -> resources/models/mtcnn.safetensors
    python scripts/mtcnn_from_facenet.py --wheel facenet_pytorch-2.6.0-py3-none-any.whl --out FILE
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import torch
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "resources" / "models" / "mtcnn.safetensors"
VERSION = "2.6.0"
NETS = ("pnet", "rnet", "onet")


def download_wheel(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest),
                    f"facenet-pytorch=={VERSION}"], check=True)
    return next(dest.glob("facenet_pytorch-*.whl"))


def convert(wheel: Path, out: Path) -> None:
    tensors: dict[str, torch.Tensor] = {}
    with zipfile.ZipFile(wheel) as z:
        for net in NETS:
            state = torch.load(io.BytesIO(z.read(f"facenet_pytorch/data/{net}.pt")), map_location="cpu",
                               weights_only=True)
            tensors.update({f"{net}.{k}": v.float().contiguous() for k, v in state.items()})
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata={"source": f"facenet-pytorch {VERSION} (MIT), MTCNN P/R/O-Net"})
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {len(tensors)} tensors)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help="a facenet-pytorch wheel already downloaded")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    if args.wheel:
        convert(args.wheel, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        convert(download_wheel(Path(tmp)), args.out)


if __name__ == "__main__":
    main()
