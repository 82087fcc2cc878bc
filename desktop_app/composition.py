"""The composition root's engine side: the one place that builds the engine and binds its functions.

Everything else in `desktop_app` gets the bridge and `EngineServices` handed in and imports no engine
runner or training module (checked by the import contracts in pyproject.toml). Tests and the
screenshot scripts build their windows and view-models through these functions too.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.bridge import EngineBridge, Runtime
from desktop_app.viewmodels.services import EngineServices
from engine.catalog import Catalog
from engine.runtime import EngineRuntime


def make_bridge(catalog: Catalog | None = None, runtime: Runtime | None = None) -> EngineBridge:
    """A bridge around the real engine thread (or around `runtime`, a scripted stand-in)."""
    catalog = catalog or Catalog()
    if runtime is None:
        runtime = EngineRuntime(lambda _event: None, catalog)  # the bridge installs its own sink
    return EngineBridge(runtime, catalog)


def _count_inputs(folder: Path, recursive: bool) -> int:
    from engine.batch import collect_inputs

    return len(collect_inputs([folder], recursive).files)


def _check_training_folder(folder: Path, min_images: int, role: str):
    from engine.training.data import check_folder

    return check_folder(folder, min_images, role)


def _run_config(run_dir: Path) -> dict:
    from engine.training.session import read_run_config

    return read_run_config(run_dir)


def _run_checkpoint(run_dir: Path) -> Path:
    from engine.training.trainer import CHECKPOINT

    return run_dir / CHECKPOINT


def _keep_colors(stylized, original):
    from engine.stylize import keep_colors

    return keep_colors(stylized, original)


def engine_services() -> EngineServices:
    """The real engine functions (imported when first called: start-up stays quick)."""
    return EngineServices(keep_colors=_keep_colors, count_inputs=_count_inputs,
                          check_training_folder=_check_training_folder, run_config=_run_config,
                          run_checkpoint=_run_checkpoint)
