"""The resolution governor (pure Python): holds the target fps, within limits, without oscillating."""

from __future__ import annotations

from desktop_app.live.governor import CPU_FPS, GPU_FPS, GovernorLimits, ResolutionGovernor, target_fps_for


def cost_model(side: int, ms_at_256: float) -> float:
    """Compute time grows with the pixel count (side squared)."""
    return ms_at_256 * (side / 256) ** 2


def run(gov: ResolutionGovernor, ms_at_256: float, frames: int = 200) -> list[int]:
    sides = []
    for _ in range(frames):
        side = gov.side
        gov.update(cost_model(side, ms_at_256), side)
        sides.append(gov.side)
    return sides


def test_target_fps_depends_on_device():
    assert target_fps_for("cuda:0") == GPU_FPS == 24
    assert target_fps_for("mps") == GPU_FPS
    assert target_fps_for("cpu") == CPU_FPS == 15


def test_slow_model_steps_down_until_the_budget_is_met():
    gov = ResolutionGovernor(15, start=640)
    sides = run(gov, ms_at_256=60.0)
    final = sides[-1]
    assert final < 640
    assert final % 32 == 0
    assert cost_model(final, 60.0) <= gov.budget_ms * gov.down_ratio
    # and it is not needlessly small: one step up would break the up threshold
    assert cost_model(final + 32, 60.0) >= gov.budget_ms * gov.up_ratio


def test_fast_model_climbs_to_the_ceiling_one_step_at_a_time():
    gov = ResolutionGovernor(24, start=192)
    sides = run(gov, ms_at_256=2.0, frames=400)
    assert sides[-1] == 720
    jumps = [b - a for a, b in zip(sides, sides[1:], strict=False) if b != a]
    assert all(0 < j <= 32 for j in jumps) and jumps.count(32) >= len(jumps) - 1  # last may be clipped


def test_never_leaves_limits():
    gov = ResolutionGovernor(15, GovernorLimits(lowest=192, highest=512), start=384)
    assert min(run(gov, ms_at_256=5000.0)) >= 192
    gov = ResolutionGovernor(15, GovernorLimits(lowest=192, highest=512), start=384)
    assert max(run(gov, ms_at_256=0.1)) <= 512


def test_hysteresis_no_oscillation_near_the_budget():
    gov = ResolutionGovernor(15, start=320)
    sides = run(gov, ms_at_256=55.0, frames=100)
    settled = sides[50:]
    assert len(set(settled)) == 1, settled


def test_noisy_timings_do_not_cause_flapping():
    import random

    rng = random.Random(0)
    gov = ResolutionGovernor(15, start=320)
    sides = []
    for _ in range(300):
        side = gov.side
        gov.update(cost_model(side, 50.0) * rng.uniform(0.8, 1.2), side)
        sides.append(gov.side)
    assert gov.changes <= 6, gov.changes


def test_no_upscaling_beyond_the_source():
    gov = ResolutionGovernor(24, start=480)
    gov.set_source_size(320, 240)
    assert gov.side == 240
    assert max(run(gov, ms_at_256=1.0)) <= 240


def test_stale_timings_are_scaled_to_the_current_side():
    gov = ResolutionGovernor(15, start=384, cooldown=1)
    gov.update(200.0, 384)  # far too slow: drops
    dropped = gov.side
    assert dropped < 384
    # a late answer for a frame that ran at the old size must not push it down again
    gov.update(200.0 * 0.9, 384)
    assert gov.side >= dropped - 32
