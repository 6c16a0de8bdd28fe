"""What vulture cannot see being used (`make lint` runs `vulture bot vulture_allowlist.py`).

Each name is used by a framework or by the database, not by a call vulture can follow.
Not a Python module to import: the bare attribute accesses below only name things.
"""
# ruff: noqa

# pydantic: model configuration and validators called by pydantic itself.
_.model_config
_._update_kinds
_._ids
_._strip_slash
_._upper
_._omit_unset_judgement
_._omit_absent_parts
_.async_database_url  # a computed setting read through the settings object

# SQLAlchemy: TypeDecorator hooks and the declarative type map.
_.impl
_.cache_ok
_.process_bind_param
_.process_result_value
_.type_annotation_map

# The DBAPI protocol SQLAlchemy's aiosqlite dialect drives (db/sqlite_inline.py).
_.server_side
_.lastrowid
_.arraysize
_.executemany
_.terminate
_.create_function
_._async_soft_close

# Columns written and kept for operators, exports and future reports, not read in code.
_.last_seen_at
_.blocked_at
_.updated_at
_.source_title
_.source_meta
_.joined_at
_.refreshed_at
_.changed_at  # a cohort's tests turned on or off
_.enrolled_at
_.offered_at
_.skipped_at

# Quiz and source metadata kept with each version (shown in the schema and stored).
_.publisher
_.author
_.license
_.note  # a claim's note: for the people who read and review the quiz file

# logging.LogRecord attributes set by the redaction filter.
_.msg

# uvicorn.Server hooks and flags overridden by the webhook worker.
_.capture_signals
_.should_exit
_.busy  # the webhook tests wait on it for a worker to go idle

# The oracle of the report counters: bulk loads (bench/bench_reports.py) and tests.
_.rebuild
