"""Free text refuses characters that make one name look like another (issue 20)."""

from __future__ import annotations

import pytest
from returns.result import Failure, Success

from seatledger.domain.identifiers import valid_text


@pytest.mark.parametrize(
    ("text", "code_point"),
    [
        ("mallory\u202eyram", "U+202E"),  # RIGHT-TO-LEFT OVERRIDE
        ("sam\u200b", "U+200B"),  # ZERO WIDTH SPACE
        ("s\u200dam", "U+200D"),  # ZERO WIDTH JOINER
        ("\u2067olga\u2069", "U+2067"),  # RIGHT-TO-LEFT ISOLATE
        ("\ufeffolga", "U+FEFF"),  # BYTE ORDER MARK
    ],
)
def test_invisible_and_direction_changing_characters_are_refused_by_code_point(
    text: str, code_point: str
) -> None:
    refused = valid_text("actor", text)
    assert isinstance(refused, Failure)
    assert refused.failure().code == "invalid-text"
    assert code_point in refused.failure().message


def test_c1_control_characters_are_refused() -> None:
    refused = valid_text("holder", "Ada\x85Lovelace")
    assert isinstance(refused, Failure)
    assert "control characters" in refused.failure().message


def test_a_decomposed_name_is_stored_composed_and_other_scripts_stay_verbatim() -> None:
    assert valid_text("holder", "Zoe\u0308") == Success("Zo\u00eb")
    assert valid_text("holder", "Zoë 李 🚀 مريم") == Success("Zoë 李 🚀 مريم")
