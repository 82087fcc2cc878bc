"""The few engine functions view-models call on the GUI thread, handed in by the composition root.

View-models validate and prepare on the GUI thread (DESIGN.md section 1): they count a batch folder's
photos, check a training folder, list interrupted training runs and mix a preview's colours. Those
functions live in the engine's runner and training modules, which nothing below the composition root
may import (the import contracts in pyproject.toml). So `desktop_app.composition` binds them here,
and tests can hand in stand-ins without building an engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class EngineServices:
    # luminance of the painting, colours of the photo (both uint8 RGB of one size)
    keep_colors: Callable[[np.ndarray, np.ndarray], np.ndarray]
    # how many photos a batch of this folder would paint; raises AtelierError when there are none
    count_inputs: Callable[[Path, bool], int]
    # (folder, minimum images, role) -> the trainer's data report (usable files, excluded ones and why)
    check_training_folder: Callable[[Path, int, str], Any]
    # a training run's saved configuration (run.json); raises OSError/ValueError when unreadable
    run_config: Callable[[Path], dict]
    # the file a training run keeps its resumable state in
    run_checkpoint: Callable[[Path], Path]
