"""The lifecycle as plain Python: table, guards and their French reasons."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.lifecycle import (
    TRANSITIONS,
    DeviceFacts,
    ErasureFacts,
    MediumFacts,
    State,
    TransitionContext,
    allowed_targets,
    refusal,
)

S = State
# The table of the issue, written out again independently of the code.
ISSUE_TABLE = {
    "received": {"wiping", "repair", "grading", "parts", "recycled"},
    "wiping": {"repair", "grading", "parts", "recycled"},
    "repair": {"grading", "parts", "recycled"},
    "grading": {"in_stock", "repair", "parts", "recycled"},
    "in_stock": {"reserved", "repair", "parts", "recycled"},
    "reserved": {"distributed", "in_stock"},
    "distributed": {"repair"},
    "parts": {"recycled"},
    "recycled": set(),
}

CLEAN = MediumFacts("ssd", "DISK1", (ErasureFacts("purge", "pass", True),))
DIRTY = MediumFacts("hdd", "DISK2", ())
HANDOVER = TransitionContext(handover=True)
SERVICES = TransitionContext(handover=True, reservation=True)  # the handover and reservation services


def test_the_table_is_the_issues_table():
    assert {s.value: {t.value for t in targets} for s, targets in TRANSITIONS.items()} == ISSUE_TABLE


def test_states_have_french_labels():
    assert S.RECEIVED.label == "Réceptionné"
    assert S.GRADING.label == "Contrôle qualité"
    assert S.DISTRIBUTED.label == "Remis au foyer"
    assert len({s.label for s in S}) == len(S)


@pytest.mark.parametrize(
    "source,target",
    [(s, t) for s, targets in ISSUE_TABLE.items() for t in sorted(targets)],
)
def test_every_allowed_transition_passes_when_its_guards_are_met(source, target):
    facts = DeviceFacts(S(source), media=(CLEAN,), grade="A")
    if source == "received" and target in ("repair", "grading"):
        facts = DeviceFacts(S(source), media=(), grade="A")  # only media-less devices skip wiping
    assert refusal(facts, target, SERVICES) is None
    assert S(target) in allowed_targets(facts, SERVICES)


@pytest.mark.parametrize("source,target", [("in_stock", "reserved"), ("reserved", "in_stock")])
def test_only_the_reservation_services_enter_or_leave_reserved(source, target):
    facts = DeviceFacts(S(source), media=(CLEAN,), grade="A")
    assert "liste d'attente" in refusal(facts, target)
    assert refusal(facts, target, TransitionContext(reservation=True)) is None


@pytest.mark.parametrize(
    "source,target",
    [(s, t) for s, t in itertools.product(ISSUE_TABLE, ISSUE_TABLE) if t not in ISSUE_TABLE[s]],
)
def test_every_transition_outside_the_table_is_refused_with_a_reason(source, target):
    facts = DeviceFacts(S(source), media=(CLEAN,), grade="A")
    reason = refusal(facts, target, HANDOVER)
    assert reason
    assert S(source).label in reason
    if source != target and ISSUE_TABLE[source]:
        assert S(target).label in reason


def test_recycled_is_final():
    assert refusal(DeviceFacts(S.RECYCLED), "repair") == "Un appareil à l'état « Recyclé » ne change plus d'état."
    assert allowed_targets(DeviceFacts(S.RECYCLED)) == []


@pytest.mark.parametrize("target", ["repair", "grading"])
def test_device_with_media_must_go_through_wiping(target):
    reason = refusal(DeviceFacts(S.RECEIVED, media=(CLEAN,)), target)
    assert reason == "Cet appareil porte 1 support de données : il doit d'abord passer par « Effacement »."
    two = refusal(DeviceFacts(S.RECEIVED, media=(CLEAN, DIRTY)), target)
    assert "2 supports de données" in two


@pytest.mark.parametrize("target", ["repair", "grading"])
def test_media_less_device_may_skip_wiping(target):
    assert refusal(DeviceFacts(S.RECEIVED, media=()), target) is None


@pytest.mark.parametrize("target", ["repair", "grading", "parts", "recycled"])
def test_leaving_wiping_needs_every_medium_sanitised(target):
    reason = refusal(DeviceFacts(S.WIPING, media=(CLEAN, DIRTY)), target)
    assert reason is not None
    assert "DISK2" in reason and "DISK1" not in reason
    assert "Disque dur (HDD)" in reason


@pytest.mark.parametrize(
    "erasures,ok",
    [
        ((ErasureFacts("purge", "pass", True),), True),
        ((ErasureFacts("clear", "pass", False),), False),    # not verified
        ((ErasureFacts("purge", "fail", True),), False),     # failed
        ((ErasureFacts("destroy", "pass", False),), True),   # destruction needs no verification
        ((ErasureFacts("destroy", "fail", True),), False),
        ((ErasureFacts("purge", "fail", False), ErasureFacts("destroy", "pass", True)), True),
        ((ErasureFacts("clear", "pass_with_warnings", True),), True),    # warnings, but verified clean
        ((ErasureFacts("clear", "pass_with_warnings", False),), False),  # warnings and no verification
        ((ErasureFacts("destroy", "pass_with_warnings", True),), False),  # a doubtful destruction
    ],
)
def test_what_counts_as_sanitised(erasures, ok):
    facts = DeviceFacts(S.WIPING, media=(MediumFacts("ssd", "X", erasures),))
    assert (refusal(facts, "grading") is None) is ok


@pytest.mark.parametrize("source", ["received", "repair", "grading", "in_stock"])
@pytest.mark.parametrize("target", ["parts", "recycled"])
def test_parts_and_recycling_from_anywhere_need_sanitised_media(source, target):
    assert "Les données ne quittent jamais l'atelier" in refusal(DeviceFacts(S(source), media=(DIRTY,), grade="B"), target)
    assert refusal(DeviceFacts(S(source), media=(CLEAN,), grade="B"), target) is None


def test_a_medium_fitted_by_the_workshop_needs_no_erasure():
    fitted = MediumFacts("ssd", "NEW1", (), fitted=True)
    assert refusal(DeviceFacts(S.REPAIR, media=(CLEAN, fitted)), "recycled") is None
    assert "NEW1" in refusal(DeviceFacts(S.REPAIR, media=(DIRTY, MediumFacts("ssd", "NEW1"))), "recycled")


def test_stock_needs_a_grade():
    assert refusal(DeviceFacts(S.GRADING, grade=None), "in_stock") == (
        "L'appareil doit recevoir une note (A, B ou C) au contrôle qualité avant d'entrer en stock."
    )
    assert refusal(DeviceFacts(S.GRADING, grade="C"), "in_stock") is None


def test_distribution_only_through_the_handover():
    reason = refusal(DeviceFacts(S.RESERVED, grade="A"), "distributed")
    assert reason.startswith("La remise au foyer se fait uniquement par l'opération de remise")
    assert S.DISTRIBUTED not in allowed_targets(DeviceFacts(S.RESERVED, grade="A"))
    assert refusal(DeviceFacts(S.RESERVED, grade="A"), "distributed", HANDOVER) is None


def test_same_state_is_refused():
    assert refusal(DeviceFacts(S.WIPING), "wiping") == "L'appareil est déjà à l'état « Effacement »."


def test_unknown_state_raises():
    with pytest.raises(ValueError):
        refusal(DeviceFacts(S.RECEIVED), "nowhere")


# --- property: random sequences of attempts ------------------------------------------------

def oracle_allows(state: str, target: str, media: list[list[tuple]], grade, handover: bool,
                  reservation: bool = False) -> bool:
    """The issue's rules, restated independently of the implementation."""
    if target not in ISSUE_TABLE[state]:
        return False
    # Into and out of « Réservé » only through a reservation (made, released or expired); the
    # handover takes it to « Remis au foyer ».
    if "reserved" in (state, target) and target != "distributed" and not reservation:
        return False

    def sanitised(records):
        return any((r == "pass" and (v or lvl == "destroy")) or (r == "pass_with_warnings" and v and lvl != "destroy")
                   for lvl, r, v in records)

    all_clean = all(sanitised(m) for m in media)
    if state == "received" and target in ("repair", "grading") and media:
        return False
    if (state == "wiping" and target in ("repair", "grading")) or target in ("parts", "recycled"):
        if not all_clean:
            return False
    if target == "in_stock" and not grade:
        return False
    if target == "distributed" and not handover:
        return False
    return True


actions = st.one_of(
    st.tuples(st.just("try"), st.sampled_from([s.value for s in S]), st.booleans()),
    st.tuples(st.just("erase"), st.integers(0, 2), st.sampled_from(["clear", "purge", "destroy"]),
              st.sampled_from(["pass", "pass_with_warnings", "fail"]), st.booleans()),
    st.tuples(st.just("grade"), st.sampled_from([None, "A", "B", "C"])),
)


@settings(max_examples=400, deadline=None)
@given(media_count=st.integers(0, 3), steps=st.lists(actions, max_size=40))
def test_random_sequences_keep_state_and_history_consistent(media_count, steps):
    media: list[list[tuple]] = [[] for _ in range(media_count)]
    state, grade = "received", None
    events = [(None, "received")]
    for step in steps:
        if step[0] == "erase":
            _, index, level, result, verified = step
            if media:
                media[index % len(media)].append((level, result, verified))
            continue
        if step[0] == "grade":
            grade = step[1]
            continue
        _, target, handover = step
        facts = DeviceFacts(
            S(state), grade=grade,
            media=tuple(MediumFacts("ssd", f"M{i}", tuple(ErasureFacts(*r) for r in m)) for i, m in enumerate(media)),
        )
        context = TransitionContext(handover=handover)
        reason = refusal(facts, target, context)
        # No guard skipped, none invented: the implementation decides exactly as the rules say.
        assert (reason is None) == oracle_allows(state, target, media, grade, handover), (state, target)
        assert (S(target) in allowed_targets(facts, context)) == (reason is None)
        if reason is None:
            events.append((state, target))
            state = target
        else:
            assert isinstance(reason, str) and reason.endswith(".")
        assert state == events[-1][1]
    for (_, before), (after_from, _) in zip(events, events[1:]):
        assert before == after_from  # the history is a chain


# --- every reason word for word, and the guards that must not reach too far ------------------------

def test_each_reason_word_for_word():
    assert refusal(DeviceFacts(S.PARTS), "in_stock") == (
        "Un appareil à l'état « Pièces détachées » ne peut pas passer à « En stock ». "
        "États possibles : « Recyclé ».")
    assert refusal(DeviceFacts(S.RESERVED), "repair") == (
        "Un appareil à l'état « Réservé » ne peut pas passer à « Réparation ». "
        "États possibles : « Remis au foyer », « En stock ».")
    assert refusal(DeviceFacts(S.RECYCLED), "repair") == "Un appareil à l'état « Recyclé » ne change plus d'état."
    assert refusal(DeviceFacts(S.RECEIVED, media=(DIRTY,)), "grading") == (
        "Cet appareil porte 1 support de données : il doit d'abord passer par « Effacement ».")
    assert refusal(DeviceFacts(S.RECEIVED, media=(DIRTY, CLEAN)), "repair") == (
        "Cet appareil porte 2 supports de données : il doit d'abord passer par « Effacement ».")
    nameless = MediumFacts("flash", None, ())
    assert refusal(DeviceFacts(S.WIPING, media=(DIRTY, CLEAN, nameless)), "grading") == (
        "Les données ne quittent jamais l'atelier : chaque support doit avoir un effacement réussi et vérifié, "
        "ou une destruction. En attente : Disque dur (HDD) n° DISK2 ; Mémoire interne (flash) (sans numéro).")
    assert refusal(DeviceFacts(S.IN_STOCK, grade="A"), "reserved") == (
        "La réservation se fait uniquement depuis la liste d'attente des demandes validées "
        "(et se libère par l'annulation ou l'expiration de la réservation).")
    assert refusal(DeviceFacts(S.RESERVED, grade="A"), "distributed", TransitionContext(reservation=True)) == (
        "La remise au foyer se fait uniquement par l'opération de remise "
        "(réservation, facture et atelier), pas par un simple changement d'état.")


@pytest.mark.parametrize("source,target", [("grading", "repair"), ("in_stock", "repair"), ("repair", "grading")])
def test_only_leaving_wiping_checks_the_media_on_the_way_to_repair_or_grading(source, target):
    """A medium a device carries outside wiping (a disk fitted in repair and not yet recorded as
    such, say) does not stop it between repair and quality control: only leaving wiping, parts and
    recycling check the media."""
    assert refusal(DeviceFacts(S(source), media=(DIRTY,), grade="A"), target) is None
