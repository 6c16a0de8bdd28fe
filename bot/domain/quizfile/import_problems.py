"""What stops an import beyond the file itself: ids taken by other quizzes, a test form's part.

The import use case (services/quizzes.py) finds these against the database; their words are
here, with the file's own problems, so that every adapter renders them in its reader's
language.
"""

from __future__ import annotations

from bot.domain.text import N_, Text, say


def catalogue_unreadable() -> Text:
    """The skill catalogue has no error to show and still could not be read."""
    return say(N_("the skill catalogue could not be read"))


def saved_meanwhile() -> Text:
    """Another upload of the same quiz id was saved between the checks and this one's save."""
    return say(N_("another upload of this quiz was saved at the same moment; send it again"))


def id_in_two_files(slug: str, first_file: str) -> Text:
    """One import names the same quiz id in two files."""
    return say(
        N_("the quiz id '{id}' is also the id of {file}; each quiz needs its own id"),
        id=slug,
        file=first_file,
    )


def id_of_another(slug: str, *, bundled: bool) -> Text:
    """The quiz id is a public quiz of someone else (or a bundled one)."""
    whose = say(N_("a bundled quiz") if bundled else N_("another instructor's quiz"))
    return say(
        N_(
            "the quiz id '{id}' belongs to {whose}: you may upload new versions only of your "
            "own quizzes; choose another id"
        ),
        id=slug,
        whose=whose,
    )


def id_not_available() -> Text:
    """The quiz id is another instructor's private quiz: saying so would tell that it exists."""
    return say(N_("this quiz id is not available; choose another id"))


def form_taken(holder: str | None, form: str, set_id: str) -> Text:
    """Another quiz (`holder`, None when it may not be named) is this form of the set."""
    return say(
        N_(
            "{holder} is form {form} of the set '{set}' already; each form of a set is one "
            "quiz: use the other form or another set id"
        ),
        holder=say(N_("the quiz '{id}'"), id=holder)
        if holder is not None
        else say(N_("another quiz")),
        form=form,
        set=set_id,
    )


def part_changed(slug: str, was: tuple[str, str] | None, now: tuple[str, str] | None) -> Text:
    """The quiz was imported for another part (training, or a form of a set) than now."""
    if was is None:
        return say(
            N_("the quiz '{id}' is a training quiz; a test form needs a quiz id of its own"),
            id=slug,
        )
    set_id, form = was
    if now is None:
        return say(
            N_(
                "the quiz '{id}' is form {form} of the set '{set}': keep its 'assessment' (a "
                "training quiz needs a quiz id of its own)"
            ),
            id=slug,
            form=form,
            set=set_id,
        )
    return say(
        N_(
            "the quiz '{id}' is form {form} of the set '{set}'; its set and form cannot change: "
            "use a new quiz id"
        ),
        id=slug,
        form=form,
        set=set_id,
    )
