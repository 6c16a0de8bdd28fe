"""A cohort's pre-, post- and delayed tests (docs/reports.md, "Pre-, post- and delayed tests").

Each use case takes a session (or a sessionmaker and a clock, for the dispatcher pass) and
plain values, and returns the plain values of `views.py`, so the chat, the terminal and a
simulation drive them alike. In the order a cohort meets them:

- `setup.configure(session, user_id=, admin=, code=, enabled=, delay_days=, set_id=, now=)`:
  /assess CODE on|off; `setup.state(...)`: /assess CODE.
- `enrolment.enrol(session, cohort_id=, user_id=, now=)`: called when a learner joins (by
  `cohorts.resolve_start_payload`); returns the pre-test's `StageOffer`.
- `flow.pending_pre_test(session, user_id=)`: the pre-test still to take or skip,
  which /quiz offers first.
- `flow.start_stage(session, user_id=, stage_id=, now=)`: start or resume a test; its items
  are then answered with `attempts.answer_item` like any quiz item (the result says
  `withheld` and, at the end, carries the `StageStep`).
- `flow.skip_stage(session, user_id=, stage_id=, now=, delay_scale=)`: skip a test.
- `progress.after_attempt(...)`: called by `attempts.answer_item` when an attempt
  finishes: a form's stage is done and the next one planned; a training quiz brings the
  post-test's offer (`AnswerResult.stage_offer`).
- `invitations.dispatch_due_tests(sessions, worker=, clock=, send=, scale=)`: the
  dispatcher pass that invites learners to the delayed test when it is due.
- `report.cohort_assessment(session, cohort_id=)`: the figures of /stats cohort=CODE.

The package imports none of its modules here: `attempts` imports `progress`, and `flow`
imports `attempts`, so re-exporting them would make a cycle.
"""
