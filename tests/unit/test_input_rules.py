"""The rules for ids and names that must not have two spellings: user ids (normal form C, no
invisible characters), tenant ids and idempotency keys (no trailing newline), provider and
template names (exactly as documented), and every string field of a session's config."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from interview_orchestrator import InvalidInputError, SessionConfig, models
from interview_orchestrator.models import (
    MAX_USER_ID_CHARS,
    parse_client_message_id,
    parse_tenant_id,
    parse_user_id,
)

#: The issue's look-alikes: each renders as nothing, so "admin" + it looks like "admin".
ISSUE_INVISIBLES = ["\u3164", "\uffa0", "\u2800", "\u034f", "\ufe0f"]


def default_ignorable() -> list[int]:
    """Every code point of the ranges the code copied from DerivedCoreProperties.txt."""
    ranges = getattr(models, "DEFAULT_IGNORABLE_RANGES", ())
    return [code for low, high in ranges for code in range(low, high + 1)]


def every_refused_invisible() -> list[int]:
    return default_ignorable() + sorted(getattr(models, "BLANK_LOOKING", {0x2800}))


def test_default_ignorable_ranges_hold_the_number_of_code_points_unicode_lists() -> None:
    # DerivedCoreProperties.txt (14.0.0), Default_Ignorable_Code_Point: "Total code points: 4174".
    codes = default_ignorable()
    assert len(codes) == len(set(codes)) == 4174
    assert {0x00AD, 0x034F, 0x115F, 0x1160, 0x3164, 0xFE0F, 0xFFA0, 0xE0001, 0xE0FFF} <= set(codes)
    assert unicodedata.unidata_version >= "14.0.0"


def test_every_default_ignorable_code_point_and_blank_is_refused_in_a_user_id() -> None:
    not_named = []  # accepted, or refused without naming the code point
    for code in every_refused_invisible():
        try:
            parse_user_id(f"ad{chr(code)}min")
            answer = "accepted"
        except InvalidInputError as exc:
            answer = str(exc)
        if f"U+{code:04X}" not in answer:
            not_named.append(f"U+{code:04X}")
    assert not_named == []


@pytest.mark.parametrize("invisible", ISSUE_INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["end", "start", "middle"])
def test_an_invisible_character_anywhere_in_a_user_id_is_refused_as_a_look_alike(
    invisible: str, where: str
) -> None:
    user = {"end": f"admin{invisible}", "start": f"{invisible}admin", "middle": f"ad{invisible}min"}
    with pytest.raises(InvalidInputError, match=r"invisible characters.*look like another id"):
        parse_user_id(user[where])


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("jose\u0301", "jos\u00e9"),  # e + combining acute -> é
        ("jos\u00e9", "jos\u00e9"),
        ("\u212b", "\u00c5"),  # ANGSTROM SIGN -> A with ring above
        ("\u1100\u1161\u11a8", "\uac01"),  # conjoining jamo -> one Hangul syllable
        ("  ada  ", "ada"),
    ],
)
def test_a_user_id_is_kept_in_normal_form_c(spelling: str, canonical: str) -> None:
    assert parse_user_id(spelling) == canonical


def test_visible_scripts_emoji_and_combining_marks_stay_valid_user_ids() -> None:
    for user in ["ada@example.org", "李小龙", "Zoë O'Brien", "😀-fan", "ñandú", "a b"]:
        assert parse_user_id(user) == unicodedata.normalize("NFC", user)


def test_the_user_id_length_limit_applies_to_the_normalised_form() -> None:
    # U+0958 (DEVANAGARI LETTER QA) is excluded from composition: NFC spells it with two.
    grows = "\u0958" * MAX_USER_ID_CHARS
    with pytest.raises(InvalidInputError, match="longer than 128"):
        parse_user_id(grows)


@pytest.mark.parametrize("value", ["acme\n", "acme\r\n", " acme", "acme "])
def test_a_tenant_id_with_a_trailing_newline_or_space_is_refused(value: str) -> None:
    with pytest.raises(InvalidInputError, match="malformed tenant id"):
        parse_tenant_id(value)


def test_a_client_message_id_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="malformed client_message_id"):
        parse_client_message_id("answer-1\n")


# ---------------------------------------------------------------------- provider and template names

NAME_FIELDS = ["ai_provider", "template", "fallback_provider"]


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize(
    "given", ["OFFLINE", "Offline", "offline\n", " offline", "offline ", "off line", "offline\x00"]
)
def test_a_name_not_spelled_as_documented_is_refused_with_the_spelling_to_use(
    field: str, given: str
) -> None:
    # fallback_provider must differ from ai_provider: make them differ.
    others = {"ai_provider": "openai"} if field == "fallback_provider" else {}
    with pytest.raises(
        InvalidInputError, match=f"{field} must be a short lowercase name"
    ) as caught:
        SessionConfig(**{field: given, **others})
    if given.strip().lower() == "offline":
        assert "did you mean 'offline'?" in str(caught.value)


def test_names_spelled_as_documented_are_accepted_unchanged() -> None:
    config = SessionConfig(
        ai_provider="openai", template="system_design", fallback_provider="offline"
    )
    assert (config.ai_provider, config.template, config.fallback_provider) == (
        "openai",
        "system_design",
        "offline",
    )


# ---------------------------------------------------------------------- every string of a config

#: Text no field of a config may hold: not valid Unicode, NUL, a control.
UNSTORABLE = {"lone surrogate": "\ud800", "NUL": "a\x00b", "escape": "a\x1bb"}


def string_fields() -> list[str]:
    """SessionConfig's fields that hold text (the name fields and ai_model)."""
    return [
        f.name
        for f in dataclasses.fields(SessionConfig)
        if "str" in str(f.type) and "Mapping" not in str(f.type) and "Sequence" not in str(f.type)
    ]


def test_the_generated_field_list_covers_every_text_field_of_the_config() -> None:
    assert set(string_fields()) == {
        "ai_provider",
        "ai_model",
        "template",
        "fallback_provider",
        "language",
        "persona",
    }


@pytest.mark.parametrize("field", string_fields())
@pytest.mark.parametrize("kind", UNSTORABLE)
def test_unstorable_text_in_any_string_field_of_a_config_is_refused(field: str, kind: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        SessionConfig(**{field: UNSTORABLE[kind]})


@pytest.mark.parametrize("where", ["resume_data", "metadata"])
@pytest.mark.parametrize("part", ["key", "value"])
@pytest.mark.parametrize("kind", ["lone surrogate", "NUL"])
def test_unstorable_text_in_a_config_mapping_key_or_value_is_refused(
    where: str, part: str, kind: str
) -> None:
    bad = UNSTORABLE[kind]
    data = {bad: "x"} if part == "key" else {"x": [bad]}
    with pytest.raises(InvalidInputError, match=where):
        SessionConfig(**{where: data})


@pytest.mark.parametrize("invisible", ["\u202e", "\u200b", "\u2028"])
def test_invisible_formatting_in_a_model_name_is_refused(invisible: str) -> None:
    with pytest.raises(InvalidInputError, match="ai_model must contain only printable"):
        SessionConfig(ai_provider="openai", ai_model=f"gpt{invisible}-4o")


def test_unknown_config_fields_are_named_briefly_however_long() -> None:
    with pytest.raises(InvalidInputError, match="unknown session config field") as caught:
        SessionConfig.from_dict({"x" * 1_000_000: 1, **{f"extra{i}": 1 for i in range(20)}})
    assert len(str(caught.value)) < 500


def test_a_config_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="must be a JSON object"):
        SessionConfig.from_dict(["ai_provider"])  # type: ignore[arg-type]
