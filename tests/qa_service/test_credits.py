"""The award formula, as the README documents it, and as settings change it."""

from __future__ import annotations

from qa_service.credits import award_amount

from .conftest import make_settings


def test_award_is_base_plus_one_credit_per_twenty_characters_capped_at_500() -> None:
    settings = make_settings("sqlite://")
    assert award_amount(100, 300, settings=settings) == 10 + 400 // 20
    assert award_amount(0, 19, settings=settings) == 10
    assert award_amount(4000, 20000, settings=settings) == 500


def test_award_follows_the_settings() -> None:
    settings = make_settings("sqlite://", credits_base=0, credits_chars_per_credit=100, credits_max=7)
    assert award_amount(150, 160, settings=settings) == 3
    assert award_amount(4000, 20000, settings=settings) == 7
