"""Follow-up lessons: the schedule in the `followups` table and what is sent from it.

- `plans`: writing the schedule after an answer or a change of settings; joins the caller's
  transaction (attempts and learners call it).
- `claims`: a row's life under a claim: claimed with a lease, given back, marked sent or failed.
- `dispatch`: dispatcher passes: claim due rows, build one message per learner, send, mark.
- `practice`: the practice item of a follow-up and the learner's answer to it.
- `settings`: the learner's /lessons settings: the daily window and the time zone.
- `stats`: follow-up figures for the reports.

docs/followups.md describes the flow.
"""
