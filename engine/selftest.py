"""`atelier --self-test`: prove that this installation can really paint, on every device it would use.

Why it exists: a frozen bundle can start fine and still be broken (a style file or a lazily imported
module left out, a torch build without the expected backend). It decodes bundled HEIC and AVIF samples
(their decoders are native libraries a bundle can lose), loads every built-in style,
stylizes the bundled sample photo on the default device ("auto") and on the CPU, and checks each
output: the right size, finite numbers, different from the input, not a blank image; when "auto" is a
GPU, its output must also agree with the CPU's. It prints one line per run, with the engine that
painted (ONNX Runtime or torch on the CPU), and exits 0 (all good) or 1. In a frozen bundle, which
ships ONNX Runtime, a CPU run that fell back to torch is a failure: the app would still paint, 2-5x
slower, and nothing else would say so. The release workflow and `packaging/build_linux.sh` run it
inside the built bundle.

Qt-free on purpose: it must run headless, in CI and on a machine whose display is broken.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Thresholds on the 0..255 scale. A trained style changes a photo by tens of levels on average; a
# generator still at its identity start (or a weight file that silently loaded as zeros) changes it
# by ~0. A flat grey/black output has a standard deviation near 0.
MIN_MEAN_CHANGE = 1.0
MIN_STD = 2.0
# Mean absolute difference allowed between the GPU (possibly half precision) and the CPU output.
MAX_DEVICE_DIFF = 8.0
DEFAULT_MAX_SIZE = 512  # long side of the test image: enough to exercise tiling-free inference quickly


@dataclass
class RunResult:
    style: str
    device: str
    ms: float
    ok: bool
    detail: str
    output: np.ndarray | None = None
    engine: str = ""  # what ran the generator: "onnxruntime" or "torch" (LoadedModel.engine)


def check_output(raw: np.ndarray, out: np.ndarray, original: np.ndarray) -> list[str]:
    """Problems with one stylized image (empty list when it looks like a real painting).

    `raw` is the generator's float output (checked for NaN/inf before it is squashed to uint8, where
    a NaN would silently become 0), `out` the final uint8 image, `original` the uint8 input.
    """
    problems: list[str] = []
    if out.shape != original.shape or out.dtype != np.uint8:
        problems.append(f"wrong output {out.shape} {out.dtype}, expected {original.shape} uint8")
        return problems
    if raw.shape != original.shape:
        problems.append(f"generator returned shape {raw.shape}, expected {original.shape}")
    if not np.isfinite(raw).all():
        bad = int((~np.isfinite(raw)).sum())
        problems.append(f"{bad} non-finite values in the generator output")
    change = float(np.abs(out.astype(np.float32) - original.astype(np.float32)).mean())
    if change < MIN_MEAN_CHANGE:
        problems.append(f"output is the input unchanged (mean change {change:.2f}/255)")
    std = float(out.astype(np.float32).std())
    if std < MIN_STD:
        problems.append(f"output is blank (std {std:.2f}/255)")
    return problems


def _run_one(style_name: str, style_path: Path, device_spec: str, rgb: np.ndarray) -> RunResult:
    """Load one style on one device and stylize `rgb`; every failure becomes a result, not a crash."""
    from engine.devices import resolve_device
    from engine.models.host import ModelHost
    from engine.stylize import finish
    from engine.tiling import run_tiled

    try:
        device = resolve_device(device_spec)
        model = ModelHost().get(style_path, device)
        t0 = time.perf_counter()
        raw = run_tiled(model, rgb, tile=max(rgb.shape[:2]))
        ms = (time.perf_counter() - t0) * 1000
        out = finish(raw, rgb, strength=1.0, preserve_colors=False)
    except Exception as exc:  # a self-test reports every failure, whatever its type
        return RunResult(style_name, device_spec, 0.0, False, f"{type(exc).__name__}: {exc}")
    problems = check_output(raw, out, rgb)
    if device.spec == "cpu" and model.engine != "onnxruntime" and getattr(sys, "frozen", False):
        from engine.inference import fallback_reasons

        problems.append("torch painted on the CPU, not the bundled ONNX Runtime: "
                        + ("; ".join(fallback_reasons()) or "no reason logged"))
    return RunResult(style_name, device.spec, ms, not problems, "; ".join(problems), out, model.engine)


def _load_sample(photo: Path, max_size: int) -> np.ndarray:
    from engine.imageio import load_image
    from engine.stylize import _fit

    rgb, _alpha = _fit(load_image(photo).rgb, None, max_size)
    return np.ascontiguousarray(rgb)


def check_format_sample(sample: Path) -> str:
    """'' when a bundled format sample (`engine.paths.format_samples`) decodes to its two colours, else
    what went wrong: a bundle without libheif would refuse every iPhone photo, and nothing else would
    say so before a user."""
    from engine.imageio import load_image

    try:
        rgb = load_image(sample).rgb
    except Exception as exc:  # an ImageReadError names the file and says why
        return str(exc)
    if rgb.shape != (32, 48, 3):
        return f"{sample.name} decoded at {rgb.shape[1]}x{rgb.shape[0]}, not 48x32"
    left, right = rgb[:, :24].reshape(-1, 3).mean(0), rgb[:, 24:].reshape(-1, 3).mean(0)
    if not (left[0] > 150 > left[2] and right[2] > 150 > right[0]):
        return f"{sample.name} decoded to the wrong colours"
    return ""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="atelier --self-test",
                                description="Stylize the sample photo with every built-in style and check the results.")
    p.add_argument("--styles-dir", type=Path, default=None,
                   help="folder of built-in styles to test (default: the ones shipped with Atelier)")
    p.add_argument("--photo", type=Path, default=None, help="test photo (default: the bundled sample)")
    p.add_argument("--device", default="auto",
                   help="device to test besides the CPU: auto, cuda, cuda:N or mps (default auto)")
    p.add_argument("--max-size", type=int, default=DEFAULT_MAX_SIZE,
                   help=f"long side the photo is resized to (default {DEFAULT_MAX_SIZE})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the self-test; 0 when every built-in style works on every tested device, else 1."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    if hasattr(sys.stdout, "reconfigure"):  # a style name like "Cézanne" on a cp1252 pipe must not crash the report
        sys.stdout.reconfigure(errors="replace")

    import torch

    from engine import __version__
    from engine.catalog import Catalog
    from engine.devices import resolve_device
    from engine.paths import builtin_styles_dir, format_samples, sample_photo

    frozen = "frozen bundle" if getattr(sys, "frozen", False) else "from source"
    print(f"Atelier {__version__} self-test ({frozen}; Python {platform.python_version()}, "
          f"torch {torch.__version__}, {platform.system()} {platform.machine()})")

    styles_dir = args.styles_dir or builtin_styles_dir()
    # Built-in styles only: a user-folder path that cannot exist keeps the user's own styles (and
    # their problems) out of the verdict about the installation.
    catalog = Catalog(builtin_dir=styles_dir, user_dir=styles_dir / ".self-test-no-user-styles")
    styles = [e for e in catalog.list() if e.builtin]
    failed = False
    for problem in catalog.problems:
        print(f"FAIL unreadable built-in style: {problem}")
        failed = True
    if not styles:
        print(f"FAIL no built-in styles found in {styles_dir}: the installation is incomplete "
              f"(packaging must bundle resources/styles/*.atelier-style)")
        return 1

    photo = args.photo or sample_photo()
    if not photo.is_file():
        print(f"FAIL sample photo missing: {photo}")
        return 1
    try:
        rgb = _load_sample(photo, args.max_size)
    except Exception as exc:
        print(f"FAIL cannot read the sample photo {photo}: {exc}")
        return 1

    for sample in format_samples():
        problem = check_format_sample(sample)
        print(f"{sample.suffix[1:].upper()} photos: {'FAIL ' + problem if problem else 'read'}")
        failed |= bool(problem)

    try:
        default = resolve_device(args.device)
    except Exception as exc:
        print(f"FAIL device {args.device!r}: {exc}")
        default = None
        failed = True
    devices = ["cpu"] if default is None or default.spec == "cpu" else [default.spec, "cpu"]
    shown = f"{args.device} -> {default.describe()}" if default else args.device
    print(f"photo {photo.name} at {rgb.shape[1]}x{rgb.shape[0]}; {len(styles)} built-in style(s); device {shown}")
    print(f"{'style':<24} {'device':<8} {'engine':<12} {'ms':>8}  result")

    for entry in styles:
        results = [_run_one(entry.name, entry.path, spec, rgb) for spec in devices]
        if len(results) == 2 and results[0].output is not None and results[1].output is not None:
            diff = float(np.abs(results[0].output.astype(np.float32) - results[1].output.astype(np.float32)).mean())
            if diff > MAX_DEVICE_DIFF:
                results[0].ok = False
                results[0].detail = f"differs from the CPU output by {diff:.1f}/255 on average"
        for r in results:
            failed |= not r.ok
            verdict = "ok" if r.ok else f"FAIL {r.detail}"
            print(f"{r.style[:24]:<24} {r.device:<8} {r.engine or '-':<12} {r.ms:8.0f}  {verdict}")

    print("self-test FAILED" if failed else "self-test passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
