"""The quality bench's painter judge: its per-part votes must explain its verdict exactly, or the
breakdown `bench/quality.py` prints would send the team after the wrong layer."""

from __future__ import annotations

import numpy as np

from bench._judge import PHOTOS_CLASS, VECTOR_PARTS, PainterJudge


def _judge(rng: np.random.Generator, dims: int) -> PainterJudge:
    return PainterJudge({"munch": [rng.normal(1.0, 1.0, dims) for _ in range(3)],
                         PHOTOS_CLASS: [rng.normal(-1.0, 1.0, dims) for _ in range(5)]})


def test_parts_cover_the_whole_style_vector_in_order():
    starts = [s.start for _, s in VECTOR_PARTS]
    stops = [s.stop for _, s in VECTOR_PARTS]
    assert starts[0] == 0 and starts[1:] == stops[:-1]
    assert stops[-1] == 2 * (64 + 128 + 256 + 512)  # means and stds of VGG16 blocks 1-4


def test_votes_sum_to_the_decision_and_agree_with_it():
    rng = np.random.default_rng(0)
    dims = VECTOR_PARTS[-1][1].stop
    judge = _judge(rng, dims)
    for v in [rng.normal(m, 1.0, dims) for m in (-1.0, -0.2, 0.2, 1.0)]:
        d = judge.distances(v)
        votes = judge.votes(v, "munch")
        assert set(votes) == {name for name, _ in VECTOR_PARTS}
        assert np.isclose(sum(votes.values()), d[PHOTOS_CLASS] ** 2 - d["munch"] ** 2)
        assert (sum(votes.values()) > 0) == judge.reads_as(v, "munch")


def test_a_part_moved_towards_the_painter_votes_painter():
    rng = np.random.default_rng(1)
    dims = VECTOR_PARTS[-1][1].stop
    judge = _judge(rng, dims)
    v = judge.mu - 1.0  # a photo-like vector
    name, part = VECTOR_PARTS[0]
    before = judge.votes(v, "munch")[name]
    v[part] += 2.0
    assert judge.votes(v, "munch")[name] > before
