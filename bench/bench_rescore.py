"""Many weightings benchmark (issue 15.1): rescore_many next to a loop and plain numpy.

Run on demand (not part of pytest)::

    python -m bench.bench_rescore            # 10,000 draws, 5 rounds, 300 looped rescores
    python -m bench.bench_rescore --quick    # 10,000 draws, 2 rounds, 40 looped rescores

The sample (``data/sample/build.toml``, 9 districts, 7 hazards) is built once into a
temporary folder (or ``--build PATH`` opens an existing build). 10,000 hazard weightings
are drawn uniformly from the simplex (Dirichlet(1, ..., 1)). Side by side:

* **rescore_many**: ``BuildResult.rescore_many(draws)``: composite hazard, hazard &
  exposure, risk, class and rank of every draw and district, each draw's numbers those
  of ``rescore`` to the last bit (ties ranked alike).
* **loop over rescore**: ``rescore(weights=dict(...))`` per draw, the public API a user
  had before; a few hundred draws are timed and the time extrapolated to 10,000.
* **plain numpy**: the formula written by hand for this one build, the way an analyst
  would: the hazards' intensity and exposure scores taken from the table, each
  adjusted geometric mean as one matrix product of the weights with the log gaps
  (missing scores masked), risk as the cube root of the product, classes by
  ``searchsorted``, ranks by a double ``argsort`` (ties broken by order). It skips
  what rescore_many checks and keeps (weights validated, ties shared, the per-draw
  rank basis), so it is the floor.

The medians of the rounds are reported; the plain numpy result is compared with
rescore_many's (largest risk difference, share of identical ranks). Targets (issue
15.1): rescore_many under 1 s for 10,000 draws and within 2x of plain numpy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aralrisk.geo import index
from aralrisk.layers.result import BuildResult, open_build

Array = npt.NDArray[np.float64]


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, object]:
    """Median seconds of ``rounds`` calls, and the last result."""
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def agm_matmul(scores: Array, weights: Array) -> Array:
    """INFORM's AGM of ``scores`` (districts, parts) for every row of ``weights`` (draws, parts)."""
    present = np.isfinite(scores)
    log_gap = np.where(present, np.log((10.0 - np.nan_to_num(scores)) * 0.9 + 1.0), 0.0)
    total = weights @ present.T.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weights @ log_gap.T) / total
    return np.where(total > 0, np.clip((10.0 - np.exp(mean)) * 10.0 / 9.0, 0.0, 10.0), np.nan)


def plain_numpy(build: BuildResult, draws: Array) -> dict[str, Array]:
    """The formula by hand for ``build`` (geometric method): what an analyst would write."""
    table = build.districts
    ids = [h.id for h in build.registry.hazards]
    intensity = np.stack([table[f"{h}_score"].to_numpy(float) for h in ids], axis=1)
    with_exposure = [k for k, h in enumerate(ids) if f"{h}_exposure" in table]
    exposure = np.stack([table[f"{ids[k]}_exposure"].to_numpy(float) for k in with_exposure], 1)
    weights = draws / draws.sum(axis=1, keepdims=True)
    hazard = agm_matmul(intensity, weights)
    he = agm_matmul(exposure, weights[:, with_exposure])
    v = table["vulnerability"].to_numpy(float)
    lcc = table["lack_of_coping"].to_numpy(float)
    risk = np.cbrt(he * v * lcc)
    classes = np.searchsorted(np.array(index.RISK_CLASS_BREAKS), np.floor(risk * 10 + 0.5) / 10)
    rank = np.argsort(np.argsort(-np.nan_to_num(risk, nan=-1.0), axis=1), axis=1) + 1.0
    return {"hazard": hazard, "risk": risk, "class": classes, "rank": rank}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds, 40 looped rescores")
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop", type=int, default=300, help="rescore calls timed")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--build", type=Path, help="an existing build (default: build the sample)")
    args = parser.parse_args(argv)
    rounds = 2 if args.quick else args.rounds
    looped = 40 if args.quick else args.loop

    with tempfile.TemporaryDirectory() as tmp:
        if args.build is None:
            from aralrisk.layers.pipeline import build

            print("building the sample ...", flush=True)
            build(out=Path(tmp), progress=False)
            result = open_build(tmp)
        else:
            result = open_build(args.build)
        ids = [h.id for h in result.registry.hazards]
        draws = np.random.default_rng(15).dirichlet(np.ones(len(ids)), size=args.draws)
        result.rescore()  # read the scoring columns once, as any first call does
        n = len(result.districts)
        print(f"{args.draws:,} draws, {n} districts, {len(ids)} hazards, {rounds} rounds")

        many_s, many = timed(lambda: result.rescore_many(draws), rounds)

        def loop() -> list[object]:
            return [
                result.rescore(weights=dict(zip(ids, row.tolist(), strict=True)))
                for row in draws[:looped]
            ]

        loop_s, _ = timed(loop, 1)
        loop_full = loop_s / looped * args.draws
        numpy_s, plain = timed(lambda: plain_numpy(result, draws), rounds)

    assert many is not None and plain is not None
    risk_diff = float(np.nanmax(np.abs(plain["risk"] - many.risk)))  # type: ignore[attr-defined,index]
    same_rank = float(np.mean(plain["rank"] == many.rank))  # type: ignore[attr-defined,index]
    print()
    print("| method | draws timed | seconds for 10,000 draws | vs plain numpy |")
    print("|---|---|---|---|")
    print(f"| rescore_many | {args.draws:,} | {many_s:.3f} | {many_s / numpy_s:.2f}x |")
    print(
        f"| loop over rescore | {looped} (extrapolated) | {loop_full:.1f} | "
        f"{loop_full / numpy_s:.0f}x |"
    )
    print(f"| plain numpy | {args.draws:,} | {numpy_s:.3f} | 1.00x |")
    print()
    print(
        f"rescore_many vs loop: {loop_full / many_s:.0f}x faster; per rescore call "
        f"{1000 * loop_s / looped:.1f} ms"
    )
    print(
        f"plain numpy vs rescore_many: max |risk difference| {risk_diff:.1e}, "
        f"identical ranks {same_rank:.2%}"
    )
    print(
        f"targets: < 1 s {'met' if many_s < 1 else 'NOT met'}; "
        f"within 2x of plain numpy {'met' if many_s <= 2 * numpy_s else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
