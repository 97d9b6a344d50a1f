"""The KPI's column rules give, block for block, what the one-at-a-time rules they stand for give:
status (ran or not), the step in effect at a moment, and the first reading after an instant."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from depotdispatch.domain.kpi_columns import NONE, BlockColumns, first_after
from depotdispatch.domain.kpi_records import ReadingLog, Step, in_effect, micros
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.status import block_status
from tests.builders import block

T = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
RAN = {"completed", "in_service"}


def _minutes(rng: random.Random, lo: int, hi: int) -> timedelta:
    return timedelta(minutes=rng.randrange(lo, hi), microseconds=rng.randrange(0, 10**6))


def _day(seed: int) -> tuple[list, dict, datetime]:
    rng = random.Random(seed)
    blocks, steps = [], {}
    for n in range(200):
        start = T + _minutes(rng, 0, 16 * 60)
        kw: dict[str, object] = {}
        if rng.random() < 0.3:
            kw["actual_start"] = start + _minutes(rng, -10, 30)
        if rng.random() < 0.3:
            kw["actual_end"] = start + _minutes(rng, 30, 600)
        if rng.random() < 0.1:
            kw["cancelled_at"] = start - timedelta(hours=1)
        b = block(f"B{n}", start, hours=rng.uniform(1, 9), **kw)
        blocks.append(b)
        at = sorted(start + _minutes(rng, -600, 120) for _ in range(rng.choice([0, 1, 1, 2, 3])))
        if at:
            steps[(b.service_date, b.block_id)] = [
                Step(t, None if rng.random() < 0.2 else f"V{rng.randrange(5)}", "manual", "assigned") for t in at]
    return blocks, steps, T + _minutes(rng, 0, 20 * 60)


def test_ran_and_step_in_effect_equal_the_rules_block_by_block() -> None:
    for seed in range(20):
        blocks, steps, now = _day(seed)
        cols = BlockColumns(blocks, steps)
        ran = cols.ran(now)
        at_start = cols.in_effect(cols.pull_out_us)
        at_end = cols.in_effect(np.minimum(micros(now), cols.done_us))
        for i, b in enumerate(blocks):
            assert bool(ran[i]) == (block_status(b, now, now).status in RAN)
            mine = steps.get((b.service_date, b.block_id), [])
            ended = min(now, b.actual_end or b.pull_in)
            for got, t in ((at_start[i], b.actual_start or b.pull_out), (at_end[i], ended)):
                assert (cols.steps[got] if got != NONE else None) == in_effect(mine, t)


def test_first_reading_after_equals_the_log_one_at_a_time() -> None:
    rng = random.Random(3)
    log = ReadingLog([SocReading(f"V{rng.randrange(4)}", rng.uniform(0, 100), T + _minutes(rng, 0, 24 * 60),
                                 "telematics") for _ in range(300)])
    asks = [(f"V{rng.randrange(6)}", T + _minutes(rng, -60, 25 * 60)) for _ in range(500)]
    within = timedelta(hours=2)
    got = first_after(log, [v for v, _ in asks], np.array([micros(t) for _, t in asks]), within)
    want = [log.first_after_index(v, t, within) for v, t in asks]
    assert [None if g == NONE else g for g in got.tolist()] == want
