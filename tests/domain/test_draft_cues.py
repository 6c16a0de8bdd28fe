"""The draft's cues on made-up sentences: each rule alone, then merged, ranked and capped."""

from __future__ import annotations

import pytest

from bot.domain.draft.article import Article, Sentence, locate_sentences
from bot.domain.draft.cues import CueKind, figures_of, name_variants, sentence_cues
from bot.domain.draft.pairs import figure_conflicts, flat_statements, headline_cue, opposite_words
from bot.domain.draft.skeletons import build_skeletons, cap_for

LEXICON = {"disastrous": -2.6, "killed": -3.5, "good": 1.9, "shocking": -2.2}
STOP = frozenset(
    {"the", "a", "an", "of", "and", "to", "in", "on", "at", "is", "was", "were", "be", "it"}
)


def _sentences(*texts: str) -> list[Sentence]:
    return [Sentence.make(i, 0, text) for i, text in enumerate(texts)]


def kinds(text: str) -> dict[CueKind, str]:
    cues = sentence_cues(Sentence.make(0, 0, text), LEXICON, loaded_threshold=2.0)
    return {cue.kind: cue.focus for cue in cues}


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        ("Experts say the bridge is unsafe.", "Experts"),
        ("A report claimed that the mayor knew.", "A report"),
        ("Some sources suggest the deal is off.", "Some sources"),
        ("There has been speculation that the plant will close.", "been speculation"),
        ("Officials said the road would reopen soon.", "Officials"),
    ],
)
def test_a_vague_source_is_found(text: str, focus: str) -> None:
    assert kinds(text)[CueKind.VAGUE_SOURCE] == focus


def test_an_anonymous_source_weighs_more_than_a_vague_one() -> None:
    plain = sentence_cues(Sentence.make(0, 0, "Officials said it."), LEXICON, loaded_threshold=2)
    anon = sentence_cues(
        Sentence.make(0, 0, "An anonymous official said it."), LEXICON, loaded_threshold=2
    )
    weight = {c.kind: c.weight for c in plain}[CueKind.VAGUE_SOURCE]
    assert {c.kind: c.weight for c in anon}[CueKind.VAGUE_SOURCE] > weight


def test_a_named_source_is_not_vague() -> None:
    found = kinds("Mayor Jane Doe said the bridge is unsafe.")
    assert found[CueKind.NAMED_SOURCE] == "Mayor Jane Doe"
    assert CueKind.VAGUE_SOURCE not in found
    assert (
        kinds("The fire started at noon, according to the fire service.")[CueKind.NAMED_SOURCE]
        == "the fire service"
    )


def test_a_passive_with_nobody_behind_it() -> None:
    assert kinds("The bridge was reported to be unsafe.")[CueKind.PASSIVE_SOURCE] == (
        "was reported"
    )
    assert kinds("The factory has been accused of dumping waste.")[CueKind.PASSIVE_SOURCE]
    assert CueKind.PASSIVE_SOURCE not in kinds("The bridge was reported by Reuters to be shut.")


def test_a_verb_that_judges_what_it_reports() -> None:
    assert kinds("The minister Bo Li revealed that taxes will rise.")[CueKind.JUDGING_VERB] == (
        "revealed"
    )
    assert CueKind.JUDGING_VERB not in kinds("The minister Bo Li said that taxes will rise.")


def test_a_figure_with_no_source() -> None:
    found = kinds("The fire destroyed 40 homes.")
    assert found[CueKind.UNSOURCED_FIGURE] == "40"
    assert found[CueKind.FIGURE] == "40"
    assert CueKind.UNSOURCED_FIGURE not in kinds("The fire destroyed 40 homes, police said.")
    assert CueKind.UNSOURCED_FIGURE not in kinds("The fire destroyed homes on Main Street.")


def test_hedges_and_the_month_may() -> None:
    assert kinds("The drug may cure the disease.")[CueKind.HEDGE] == "may"
    assert kinds("The factory will reportedly close.")[CueKind.HEDGE] == "reportedly"
    assert CueKind.HEDGE not in kinds("The factory closed on May 5, 2024, after a fire.")


def test_a_flat_statement_of_what_another_sentence_hedges() -> None:
    sentences = _sentences(
        "Acme Corp probably caused the spill, which killed fish for miles.",
        "Acme Corp dumped its waste in the river for years.",
        "The river is long and the town is small and quiet today.",
        "Fishing boats stayed in the harbour all week long.",
        "The harbour master counted the boats each morning.",
        "Tourists came back once the water was clear again.",
    )
    cues = {s.index: sentence_cues(s, LEXICON, loaded_threshold=2.0) for s in sentences}
    flat = flat_statements(sentences, cues)
    assert [(c.sentence, c.focus, c.detail, c.partner) for c in flat] == [
        (1, "Acme Corp", "probably", 0)
    ]


def test_figures_with_what_they_count() -> None:
    sentence = Sentence.make(0, 0, "The city will pay $2 million to 300 families by June 5, 2024.")
    assert [(f.number, f.counts) for f in figures_of(sentence)] == [("300", "families")]
    found = kinds("The city will pay $2 million to 300 families by June 5, 2024.")
    assert found[CueKind.MONEY] == "$2 million"
    assert kinds("The council will pay one million rubles.")[CueKind.MONEY] == (
        "one million rubles"
    )
    # Ordinals, times, years and "one" as a word are not counts.
    none = Sentence.make(0, 0, "On the 7th at 6am, one speculation in 1987 was about it.")
    assert figures_of(none) == []
    dead = Sentence.make(0, 0, "While one man was killed, around 20 others were dead.")
    assert [(f.number, f.key) for f in figures_of(dead)] == [("one", "deaths"), ("20", "deaths")]
    assert kinds("The storm began on June 5, 2024.")[CueKind.DATE] == "June 5, 2024"


def test_loaded_words_come_from_the_lexicon_passed() -> None:
    assert kinds("It was a disastrous and shocking plan.")[CueKind.LOADED] == (
        "disastrous, shocking"
    )
    # "good" is rated 1.9, under the threshold; words not in the lexicon never count.
    assert CueKind.LOADED not in kinds("It was a good and appalling plan.")


def test_a_claimed_link_and_an_edited_quotation() -> None:
    assert kinds("The storm led to the closure of the school.")[CueKind.LINK] == "led to"
    assert kinds("Coincidentally, the mayor left town.")[CueKind.LINK] == "Coincidentally"
    assert kinds('She said "the [new] law is fair" on Monday.')[CueKind.EDITED_QUOTE] == "[new]"
    assert CueKind.EDITED_QUOTE not in kinds('She said "the law is fair" [on Monday].')


def test_headline_words_the_body_never_uses() -> None:
    body = _sentences("The mayor said the budget was late.", "Nobody resigned over the budget.")
    headline = Sentence.make(9, 0, "Mayor admits budget scandal", headline=True)
    assert headline_cue(headline, body, STOP).focus == "admits, scandal"
    supported = Sentence.make(9, 0, "Mayor said budget late", headline=True)
    assert headline_cue(supported, body, STOP).focus == ""
    assert headline_cue(supported, body, STOP).weight < headline_cue(headline, body, STOP).weight


def test_different_figures_for_the_same_count_may_conflict() -> None:
    sentences = _sentences(
        "Police said 12 people died in the crash.",
        "The bus carried 40 passengers along the coast road.",
        "By Friday the death toll had risen to 15.",
    )
    pairs = figure_conflicts(sentences)
    assert [(p.first, p.second) for p in pairs] == [(0, 2)]
    assert "12" in pairs[0].focus
    assert "15" in pairs[0].focus


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Different groups of the dead.
        ("The storm killed 40 Germans on the coast.", "About 12 Danes were dead by Friday."),
        # People living somewhere, people missing: the clauses share no word.
        ("The tower was home to 300 people.", "The mayor said 20 people were missing."),
        # Spans of time measure no thing.
        ("The repair will take 24 hours.", "She was trapped for 30 hours in the lift."),
    ],
)
def test_figures_of_different_things_do_not_conflict(first: str, second: str) -> None:
    assert figure_conflicts(_sentences(first, second)) == []


def test_figures_said_of_the_same_thing_may_conflict() -> None:
    pairs = figure_conflicts(
        _sentences("Police said 20 people were missing.", "By noon 35 people were missing.")
    )
    assert [(p.first, p.second, p.focus) for p in pairs] == [(0, 1, "20 against 35 (people)")]


@pytest.mark.parametrize(
    ("first", "second", "focus"),
    [
        ("The result surprised the mayor.", "Unsurprisingly, the vote was close.", "surprised"),
        (
            "Police say the two fires are related.",
            "The chief said the fires were unrelated.",
            "related",
        ),
        (
            "The delay was expected by the builders.",
            "The storm was not expected by anyone.",
            "expected",
        ),
    ],
)
def test_a_word_and_its_negation_may_conflict(first: str, second: str, focus: str) -> None:
    pairs = opposite_words(_sentences(first, second), STOP)
    assert [(p.first, p.second) for p in pairs] == [(0, 1)]
    assert focus in pairs[0].focus
    assert opposite_words(_sentences(first, "The town is under water."), STOP) == []


def test_a_name_spelt_two_ways() -> None:
    sentences = _sentences(
        "In Springfield the vote was on Monday.",
        "Springfield Police said so.",
        "The mayor of Springfield spoke.",
        "Police in Sprangfield made arrests.",
        "Korea and Korean officials met.",
    )
    found = name_variants(sentences)
    assert [(c.sentence, c.focus, c.detail) for c in found] == [(3, "Sprangfield", "Springfield")]


def _article(text: str) -> Article:
    pieces = [p for paragraph in text.split("\n\n") for p in paragraph.split(". ")]
    pieces = [p if p.endswith(".") else p + "." for p in pieces]
    return Article(text=text, title="t", sentences=locate_sentences(text, pieces))


def test_cues_of_one_sentence_make_one_skeleton() -> None:
    text = "Experts say the storm may have killed 30 people. " + "The town is quiet. " * 30
    skeletons = build_skeletons(_article(text), LEXICON, STOP)
    assert len(skeletons) == 1
    kinds_found = {c.kind for c in skeletons[0].cues}
    assert {CueKind.VAGUE_SOURCE, CueKind.HEDGE, CueKind.FIGURE} <= kinds_found
    assert skeletons[0].skill == "vague-attribution"


def test_a_pair_is_one_skeleton_and_uses_both_sentences() -> None:
    text = (
        "Police said 12 people died in the crash. By Friday the death toll had risen to 15. "
        + "The town is quiet. " * 40
    )
    skeletons = build_skeletons(_article(text), LEXICON, STOP)
    pair = [s for s in skeletons if s.partner is not None]
    assert len(pair) == 1
    assert pair[0].skill == "internal-consistency"
    assert all(s.partner is not None for s in skeletons if s.sentence.index in (0, 1))


def test_skeletons_are_capped_per_thousand_words() -> None:
    claim = "Experts say {n} homes may have burned. "
    text = "".join(claim.format(n=n + 2) for n in range(40))
    article = _article(text)
    skeletons = build_skeletons(article, LEXICON, STOP)
    assert article.words == 280
    assert len(skeletons) == cap_for(280) == 7
    # The strongest are kept, in the article's order.
    assert [s.sentence.index for s in skeletons] == sorted(s.sentence.index for s in skeletons)


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        ("It is even more suspicious that the mayor was abroad.", "suspicious"),
        (
            "Both fires broke out within three miles of each other.",
            "within three miles of each other",
        ),
        ("The shop closed days before the raid.", "days before"),
    ],
)
def test_words_that_hint_at_a_link(text: str, focus: str) -> None:
    assert kinds(text)[CueKind.INSINUATION] == focus
    assert CueKind.INSINUATION not in kinds("The shop closed in the spring.")


def test_a_sweeping_claim_and_the_writers_own_opinion() -> None:
    assert kinds("The firm has long sold arms to rebels.")[CueKind.SWEEPING] == "has long"
    assert kinds("Pipes here routinely burst in winter.")[CueKind.SWEEPING] == "routinely"
    assert CueKind.SWEEPING not in kinds("The firm sold arms to rebels in 2010.")
    assert kinds("The council should resign at once.")[CueKind.OPINION] == "should"
    # Someone else's "should" is a report of an opinion, not the writer's.
    assert CueKind.OPINION not in kinds("The council should resign, the mayor said.")
    assert CueKind.OPINION not in kinds('He wrote: "The council should resign."')


def test_two_accounts_set_against_each_other() -> None:
    found = kinds("Police say the fire was an accident, while a neighbour claimed it was set.")
    assert found[CueKind.RIVAL_ACCOUNTS] == "while"
    assert CueKind.RIVAL_ACCOUNTS not in kinds("Police say the fire was an accident.")
    # One source going on is not two accounts.
    assert CueKind.RIVAL_ACCOUNTS not in kinds("The chief said it was late but said it was fine.")


def test_a_hedge_in_another_clause_does_not_hedge_a_name() -> None:
    sentences = _sentences(
        "Rebels attacked Acme Corp as there seems to be a feud.",
        "Acme Corp dumped its waste in the river for years.",
        "The river is long and the town is small and quiet today.",
        "Fishing boats stayed in the harbour all week long.",
        "The harbour master counted the boats each morning.",
        "Tourists came back once the water was clear again.",
    )
    cues = {s.index: sentence_cues(s, LEXICON, loaded_threshold=2.0) for s in sentences}
    assert flat_statements(sentences, cues) == []


def test_a_skill_already_chosen_makes_room_for_another() -> None:
    # Five vague sources each outrank the one hint at a link; with room for two items, the
    # second is the hint (another skill), not a second vague source.
    places = ("north", "south", "east", "west", "old")
    text = "".join(f"Experts say the {place} bridge is unsafe. " for place in places)
    text += "The shop closed days before the raid. " + "The town is quiet. " * 20
    article = _article(text)
    skeletons = build_skeletons(article, LEXICON, STOP, per_thousand=20)
    assert cap_for(article.words, 20) == 2
    assert [(s.sentence.index, s.skill) for s in skeletons] == [
        (0, "vague-attribution"),
        (5, "insinuation-causation"),
    ]
