"""Resolution governor: holds a target frame rate by choosing the short side the model runs at.

Pure Python (no Qt, no torch) so it is unit-tested with scripted timings.

Why it works this way:
- The generator's cost grows with the pixel count, i.e. with the square of the short side, so when a
  frame is too slow the governor jumps straight to `side * sqrt(budget / measured)` (rounded down to
  the step) instead of creeping down 32 px at a time while the user watches a stutter.
- Going up is cautious (one step at a time) and needs clear headroom (`up_ratio`), and every change
  is followed by a cooldown of a few frames; together that is the hysteresis that stops the
  resolution from oscillating between two sizes when the compute time hovers near the budget.
- Compute times are smoothed (EMA) because single frames are noisy (the OS, a background job).
- Sides are multiples of `step` (32): the generator needs multiples of its factor (4 or 8) anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GPU_FPS = 24.0
CPU_FPS = 15.0


def target_fps_for(device_spec: str) -> float:
    """24 fps on a GPU (cuda, mps), 15 on CPU; "auto" is treated as a GPU only if the engine says so."""
    spec = device_spec.strip().lower()
    return GPU_FPS if spec.startswith(("cuda", "mps", "gpu")) else CPU_FPS


@dataclass
class GovernorLimits:
    lowest: int = 256  # below 256 px on the short side faces lose their features (issue 5's floor)
    highest: int = 720
    step: int = 32


class ResolutionGovernor:
    """Chooses `run_short_side` from measured compute times (milliseconds per frame)."""

    def __init__(self, target_fps: float = CPU_FPS, limits: GovernorLimits | None = None, start: int = 384,
                 smoothing: float = 0.3, down_ratio: float = 1.1, up_ratio: float = 0.7, cooldown: int = 6) -> None:
        self.limits = limits or GovernorLimits()
        self.target_fps = target_fps
        self.smoothing = smoothing
        self.down_ratio = down_ratio
        self.up_ratio = up_ratio
        self.cooldown = cooldown
        self._source_short: int | None = None
        self._side = self._clamp(start)
        self._ema: float | None = None
        self._since_change = 0
        self.changes = 0

    # ------------------------------------------------------------------ properties
    @property
    def budget_ms(self) -> float:
        """Compute time one frame may take to hold the target rate."""
        return 1000.0 / self.target_fps

    @property
    def side(self) -> int:
        """The short side to run the model at now (never above the source's own short side)."""
        if self._source_short is not None and self._source_short < self._side:
            return self._source_short
        return self._side

    @property
    def smoothed_ms(self) -> float | None:
        return self._ema

    # ------------------------------------------------------------------ inputs
    def set_target_fps(self, fps: float) -> None:
        if fps != self.target_fps:
            self.target_fps = fps
            self._since_change = 0

    def set_source_size(self, width: int, height: int) -> None:
        """Frames smaller than the chosen side are run as they are (no upscaling)."""
        self._source_short = min(width, height)

    def reset(self, start: int | None = None) -> None:
        """Forget the timings (a new style or device has a different cost)."""
        self._ema = None
        self._since_change = 0
        if start is not None:
            self._side = self._clamp(start)

    def update(self, compute_ms: float, side_used: int | None = None) -> int:
        """Feed one frame's compute time; returns the side to use for the next frame.

        `side_used` is the short side that frame actually ran at; timings of frames that ran at
        another size (sent before the last change) are scaled to the current size first.
        """
        if compute_ms <= 0:
            return self.side
        if side_used and side_used != self.side:
            compute_ms *= (self.side / side_used) ** 2
        self._ema = compute_ms if self._ema is None else self._ema + self.smoothing * (compute_ms - self._ema)
        self._since_change += 1
        if self._since_change < self.cooldown:
            return self.side
        budget = self.budget_ms
        current = self.side
        if self._ema > budget * self.down_ratio and current > self.limits.lowest:
            wanted = current * math.sqrt(budget / self._ema)
            new = min(self._floor(wanted), current - self.limits.step)
            self._change(new)
        elif self._ema < budget * self.up_ratio and current < self._ceiling():
            self._change(current + self.limits.step)
        return self.side

    # ------------------------------------------------------------------ helpers
    def _ceiling(self) -> int:
        top = self.limits.highest
        if self._source_short is not None:
            top = min(top, self._source_short)
        return top

    def _floor(self, value: float) -> int:
        step = self.limits.step
        return int(value // step * step)

    def _clamp(self, value: int) -> int:
        lo, hi, step = self.limits.lowest, self.limits.highest, self.limits.step
        return max(lo, min(hi, int(value) // step * step))

    def _change(self, new: int) -> None:
        old_effective = self.side
        new = self._clamp(new)
        if new == self._side:
            return
        # the estimate scales with the pixel count, so the next decision starts from a fair guess
        if self._ema is not None:
            self._ema *= (min(new, self._source_short or new) / old_effective) ** 2
        self._side = new
        self._since_change = 0
        self.changes += 1
