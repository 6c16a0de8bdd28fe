"""ORM models: the database is the truth for everything that must survive a restart.

Over 400 lines: every table in one module, as Alembic's autogenerate and the migration test
compare them with the revisions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, JSONType


class User(Base):
    """A person who uses the bot: on Telegram, or the local player of `quizbot demo`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    console_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    lessons_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    blocked_at: Mapped[dt.datetime | None]
    # Random id for exports and reports, so answers can be analysed without names.
    pseudonym: Mapped[str | None] = mapped_column(String(16), unique=True)
    # The learner's daily window for follow-ups, in their time zone (IANA name).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    window_start_hour: Mapped[int] = mapped_column(Integer, default=9, server_default="9")
    window_end_hour: Mapped[int] = mapped_column(Integer, default=21, server_default="21")


class Skill(Base):
    """A skill of the catalogue (quizzes/skills.yaml), with its follow-up lesson."""

    __tablename__ = "skills"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    lesson: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime]


class Quiz(Base):
    """A quiz id; its content lives in versions."""

    __tablename__ = "quizzes"
    # One quiz per form of a set; NULLs (training quizzes) are distinct on both backends. An
    # index, not a constraint: SQLite adds it without rebuilding the table.
    __table_args__ = (
        Index("uq_quizzes_assessment_form", "assessment_set", "assessment_form", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    # Set for a form of a pre-, post- and delayed test (the file's `assessment`); fixed at
    # the first import, so every version of a quiz plays the same part.
    assessment_set: Mapped[str | None] = mapped_column(String(64))
    assessment_form: Mapped[str | None] = mapped_column(String(1))


class QuizVersion(Base):
    """One imported content of a quiz, identified by the hash of its file."""

    __tablename__ = "quiz_versions"
    __table_args__ = (
        UniqueConstraint("quiz_id", "number"),
        UniqueConstraint("quiz_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(16))
    source_title: Mapped[str] = mapped_column(Text)
    source_meta: Mapped[dict[str, Any]] = mapped_column(JSONType)
    source_text: Mapped[str] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime]
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Item(Base):
    """One item of one quiz version; answers point at it, so it is never updated."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("quiz_version_id", "key"),
        Index("ix_items_version_position", "quiz_version_id", "position"),
        Index("ix_items_skill_id", "skill_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_version_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_versions.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"))
    verdict: Mapped[str | None] = mapped_column(String(10))
    passage: Mapped[str] = mapped_column(Text)
    question: Mapped[str] = mapped_column(Text)
    # [{"text": ..., "correct": bool, "feedback": str | None}, ...] in file order, with
    # "judgement" ("sound", "flawed" or "neither") on options whose file sets one.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    explanation: Mapped[str] = mapped_column(Text)
    claims: Mapped[list[str]] = mapped_column(JSONType)
    references: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    checked: Mapped[dt.date | None] = mapped_column(Date)


class Attempt(Base):
    """A sitting of one learner on one quiz version."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_user_finished", "user_id", "finished_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    quiz_version_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_versions.id", ondelete="CASCADE")
    )
    seed: Mapped[int] = mapped_column(BigInteger)
    round_size: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    # The item on screen and when it was shown: answers must match it, and time is measured
    # from it. NULL between rounds (a summary is on screen) and when finished.
    current_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    presented_at: Mapped[dt.datetime | None]
    answered_count: Mapped[int] = mapped_column(Integer, default=0)
    correct_count: Mapped[int] = mapped_column(Integer, default=0)
    # Discernment counters, kept by answer_item from each answer's judgement so reports need
    # not read the answers: flawed items judged either way (seen) and judged flawed (hits);
    # sound items judged either way (seen) and judged flawed (false alarms); answers on
    # either kind that judged neither way (misreadings). Items without a verdict count in none.
    flawed_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    flawed_hits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sound_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sound_false_alarms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    misreadings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Answer(Base):
    """An answer: append-only, one per item per attempt (the unique constraint is the guard)."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("attempt_id", "item_id"),
        Index("ix_answers_item_id", "item_id"),
        Index("ix_answers_user_id", "user_id"),
        Index("ix_answers_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    # Set instead of attempt_id for the practice item of a follow-up (answered once).
    followup_id: Mapped[int | None] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    skill_id: Mapped[str] = mapped_column(String(64))
    # Option indices in file order, sorted.
    chosen: Mapped[list[int]] = mapped_column(JSONType)
    correct: Mapped[bool] = mapped_column(Boolean)
    # What the chosen option says about the item's claim: sound, flawed or neither
    # (bot.domain.discernment.judge_answer); NULL for items without a verdict.
    judgement: Mapped[str | None] = mapped_column(String(10))
    seconds: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[dt.datetime]


class ItemAnswerCount(Base):
    """Quiz answers (not follow-ups) per item, options chosen and whole second, kept by
    answer_item: the item analysis of a whole quiz without reading its answers."""

    __tablename__ = "item_answer_counts"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    # The chosen option indices in file order, sorted, joined by commas: "0,2".
    chosen: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Seconds to answer rounded half up, as the reports round them.
    second: Mapped[int] = mapped_column(Integer, primary_key=True)
    correct: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[int] = mapped_column(Integer)


class ItemTotalSums(Base):
    """Per item, over the finished attempts that answered it: the sums behind the item-rest
    correlation. t is the attempt's number right, x is 1 when the item was right. Added to
    when an attempt finishes, since t is known only then."""

    __tablename__ = "item_total_sums"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    answers: Mapped[int] = mapped_column(BigInteger)
    correct: Mapped[int] = mapped_column(BigInteger)
    sum_t: Mapped[int] = mapped_column(BigInteger)
    sum_tt: Mapped[int] = mapped_column(BigInteger)
    sum_xt: Mapped[int] = mapped_column(BigInteger)


class SkillState(Base):
    """A learner's memory of one skill: counters and the spaced-repetition card."""

    __tablename__ = "skill_states"
    __table_args__ = (Index("ix_skill_states_due_at", "due_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    card: Mapped[dict[str, Any]] = mapped_column(JSONType)
    due_at: Mapped[dt.datetime | None]
    last_answer_at: Mapped[dt.datetime | None]


class InboxUpdate(Base):
    """A Telegram update, stored before it is confirmed to Telegram and processed from here."""

    __tablename__ = "inbox_updates"
    __table_args__ = (
        # Pruning takes the rows processed before a time.
        Index("ix_inbox_updates_processed_at", "processed_at"),
        # The work waiting, by chat: what claims and /metrics read.
        Index(
            "ix_inbox_updates_unprocessed",
            "chat_id",
            "update_id",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
        # The updates given up, which /metrics counts on every scrape.
        Index(
            "ix_inbox_updates_failed",
            "update_id",
            sqlite_where=text("error IS NOT NULL"),
            postgresql_where=text("error IS NOT NULL"),
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[dt.datetime]
    processed_at: Mapped[dt.datetime | None]
    tries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Set by the worker processing the update (several webhook workers share the inbox).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None]


class InboxWatermark(Base):
    """The highest update_id pruned from the inbox, so that a late copy is still known.

    Telegram holds an update for a day at most, and after a week without updates it starts
    its ids again at a random number: the watermark counts only until `expires_at`.
    """

    __tablename__ = "inbox_watermark"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[dt.datetime]


class FollowUp(Base):
    """A planned follow-up lesson on one skill for one learner; the schedule is these rows."""

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_status_due_at", "status", "due_at"),
        Index("ix_followups_user_id", "user_id"),
        # At most one open follow-up per learner and skill.
        Index(
            "uq_followups_open_user_skill",
            "user_id",
            "skill_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'claimed')"),
            postgresql_where=text("status IN ('pending', 'claimed')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"))
    # pending -> claimed -> sent -> answered; or cancelled / failed.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime]
    tries: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)


class Cohort(Base):
    """A group of learners an instructor invites with a code."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]


class CohortMember(Base):
    """A learner in a cohort."""

    __tablename__ = "cohort_members"
    __table_args__ = (Index("ix_cohort_members_user_id", "user_id"),)

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[dt.datetime]


class QuizCohort(Base):
    """A cohort a non-public quiz is open to."""

    __tablename__ = "quiz_cohorts"

    quiz_id: Mapped[int] = mapped_column(
        ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )


class SendBudget(Base):
    """A token bucket shared by all bot processes: Telegram's overall message rate."""

    __tablename__ = "send_budget"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    refreshed_at: Mapped[dt.datetime]


class CohortAssessment(Base):
    """A cohort's pre-, post- and delayed tests: on or off, the set of forms, the delay."""

    __tablename__ = "cohort_assessments"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    set_id: Mapped[str] = mapped_column(String(64))
    delay_days: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean)
    # Learners enrolled so far: the next one's place in join order, which decides which
    # form they take first (counterbalancing). Never decremented, so places stay unique.
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[dt.datetime]


class AssessmentEnrolment(Base):
    """A learner in a cohort's tests. One per learner: a second cohort's pre-test, taken
    after the first cohort's training, would measure nothing."""

    __tablename__ = "assessment_enrolments"
    __table_args__ = (Index("ix_assessment_enrolments_cohort_id", "cohort_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based join order in the cohort's tests
    first_form: Mapped[str] = mapped_column(String(1))  # the pre-test's form
    enrolled_at: Mapped[dt.datetime]


class AssessmentStage(Base):
    """One test of a learner's flow (pre, post or delayed): offered, taken or skipped.

    status: pending (the delayed test, until due) -> claimed (by a dispatcher pass) ->
    offered -> started (attempt_id set) -> done; or skipped from offered or started.
    """

    __tablename__ = "assessment_stages"
    __table_args__ = (
        UniqueConstraint("user_id", "stage"),
        Index("ix_assessment_stages_status_due_at", "status", "due_at"),
        Index("ix_assessment_stages_cohort_id", "cohort_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(8))
    form: Mapped[str] = mapped_column(String(1))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[dt.datetime]
    offered_at: Mapped[dt.datetime | None]
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("attempts.id", ondelete="SET NULL"), unique=True
    )
    finished_at: Mapped[dt.datetime | None]
    skipped_at: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None]
    tries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
