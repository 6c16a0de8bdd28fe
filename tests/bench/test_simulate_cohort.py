"""The simulated cohort of bench/simulate_cohort.py, small, on SQLite: what it counts agrees
with what the database recorded, the dispatcher sent only what was due, and a seed gives the
same figures, so the simulation cannot rot unnoticed between benchmark runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from bench.cohort_simulation import SimConfig
from bench.simulate_cohort import simulate
from tests.db_support import Templates

# A delayed test after 2 days, so that 5 days see every stage; a pass every 15 minutes.
SMALL = SimConfig(learners=20, days=5, seed=7, delay_days=2, dispatch_every=900.0)


async def _run(templates: Templates, path: Path, config: SimConfig) -> dict[str, Any]:
    figures: dict[str, Any] = (await simulate(await templates.sqlite_copy(path), config))[
        "figures"
    ]
    return figures


@pytest.mark.slow  # three runs of 20 learners for 5 days: about 20 s of CPU
async def test_a_small_cohort_records_what_it_simulated_and_gets_only_what_is_due(
    templates: Templates, tmp_path: Path
) -> None:
    on = await _run(templates, tmp_path / "on.db", SMALL)
    assert on["tally"]["errors"] == {}
    assert on["answers_recorded"] == on["answers_simulated"]
    assert on["quiz_answers_recorded"] == on["tally"]["quiz_answers"] > 20 * 10
    assert on["practice_answers_recorded"] == on["tally"]["practice_answers"] > 0
    assert on["form_answers_recorded"] == on["tally"]["form_answers"] > 0
    # Follow-ups went out, each when it was due, in the learner's window, between sittings.
    assert on["tally"]["messages"] > 0
    assert on["followups_sent_before_due"] == 0
    assert on["tally"]["sent_outside_window"] == 0
    assert on["tally"]["sent_mid_sitting"] == 0
    # Every stage of the tests was reached, and the report counts what was simulated.
    tests = on["report"]["tests"]
    simulated = on["tests_simulated"]
    assert tests["enrolled"] == 20
    for stage in ("pre", "post", "delayed"):
        figures = tests["stages"][stage]
        assert figures["taken"] == simulated.get(f"{stage} done", 0)
        assert figures["skipped"] == simulated.get(f"{stage} skipped", 0)
    assert tests["stages"]["delayed"]["taken"] > 0
    assert on["tally"]["invitations"] > 0

    again = await _run(templates, tmp_path / "again.db", SMALL)
    assert again == on

    off = await _run(templates, tmp_path / "off.db", dataclasses.replace(SMALL, followups=False))
    assert off["tally"]["errors"] == {}
    assert off["tally"]["messages"] == off["practice_answers_recorded"] == 0
    assert off["followups"].get("sent", 0) == off["followups"].get("answered", 0) == 0
    # The same learners take the same quiz in the same way; only the follow-ups differ.
    assert off["quiz_answers_recorded"] == on["quiz_answers_recorded"]
    assert off["answers_recorded"] == off["answers_simulated"]
    assert off["tally"]["invitations"] > 0
