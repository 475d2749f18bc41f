"""The scrubber against a table of Korean and English texts: every positive is replaced by its
typed placeholder (and only the personal part: the words around it stay), every near-miss is
left exactly as it was."""

from __future__ import annotations

import pytest

from qa_service.dataset.pii import scrub, scrub_all

POSITIVES = [
    # (text, what must be gone, the scrubbed text, kinds)
    ("메일은 hong.gildong@example.co.kr으로 주세요", "hong.gildong@example.co.kr", "메일은 <EMAIL>으로 주세요", ["email"]),
    ("Write to Jane.Doe+ai@mail.example.com, please.", "Jane.Doe+ai@mail", "Write to <EMAIL>, please.", ["email"]),
    ("제 번호는 010-1234-5678 입니다", "010-1234-5678", "제 번호는 <PHONE> 입니다", ["phone"]),
    ("연락처:01012345678", "01012345678", "연락처:<PHONE>", ["phone"]),
    ("사무실 02-312-3456로 전화", "02-312-3456", "사무실 <PHONE>로 전화", ["phone"]),
    ("국제전화 +82 10-1234-5678", "10-1234-5678", "국제전화 <PHONE>", ["phone"]),
    ("call me on +44 7700 900123 tonight", "7700 900123", "call me on <PHONE> tonight", ["phone"]),
    ("US office (415) 555-2671.", "555-2671", "US office <PHONE>.", ["phone"]),
    ("주민등록번호 900101-1234567 입니다", "900101-1234567", "주민등록번호 <KR_RRN> 입니다", ["kr_rrn"]),
    ("외국인등록번호 0203045123456", "0203045123456", "외국인등록번호 <KR_RRN>", ["kr_rrn"]),
    ("card 4111 1111 1111 1111 expires", "4111 1111 1111 1111", "card <CARD> expires", ["card"]),
    ("카드번호 5500-0000-0000-0004로 결제", "5500-0000-0000-0004", "카드번호 <CARD>로 결제", ["card"]),
    ("my server is 203.0.113.7, ssh in", "203.0.113.7", "my server is <IP>, ssh in", ["ip"]),
    ("집 공유기 192.168.0.12", "192.168.0.12", "집 공유기 <IP>", ["ip"]),
    ("v6 2001:db8:85a3::8a2e:370:7334 here", "2001:db8", "v6 <IP> here", ["ip"]),
    ("send to 0x52908400098527886E0F7030069857D2E4169EE7 now", "0x5290840009852788", "send to <WALLET> now", ["wallet"]),
    ("내 지갑 0x52908400098527886e0f7030069857d2e4169ee7로", "0x5290840009852788", "내 지갑 <WALLET>로", ["wallet"]),
    ("btc bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq ok", "bc1qar0s", "btc <WALLET> ok", ["wallet"]),
    ("old 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa addr", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "old <WALLET> addr", ["wallet"]),
    ("I am vitalik.eth on chain", "vitalik.eth", "I am <ENS> on chain", ["ens"]),
    ("제 ENS는 hong.gildong.eth입니다", "hong.gildong.eth", "제 ENS는 <ENS>입니다", ["ens"]),
    ("see https://api.example.com/v1/items?user=3&token=abc123XYZ&page=2.", "abc123XYZ",
     "see https://api.example.com/v1/items?user=3&token=<SECRET>&page=2.", ["secret"]),
    ("https://x.example/cb#access_token=ya29.a0Af&state=1", "ya29.a0Af", "https://x.example/cb#access_token=<SECRET>&state=1",
     ["secret"]),
    ("db at postgres://app:hunter2@db.example:5432/app", "hunter2", "db at postgres://app:<SECRET>@db.example:5432/app", ["secret"]),
    ("키는 sk_live_4eC39HqLf8kZtY2xq0P8a9W 입니다", "sk_live_4eC39", "키는 <SECRET> 입니다", ["secret"]),
    ("OPENAI sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12 leaked", "sk-proj-Ab12", "OPENAI <SECRET> leaked", ["secret"]),
    ("token ghp_0123456789abcdefghijABCDEFGHIJ0123456789", "ghp_0123", "token <SECRET>", ["secret"]),
    ("aws AKIAIOSFODNN7EXAMPLE key", "AKIAIOSFODNN7EXAMPLE", "aws <SECRET> key", ["secret"]),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.abcDEF_ghi-123 end", "eyJhbGciOiJIUzI1NiJ9", "jwt <SECRET> end", ["secret"]),
    ("Authorization: Bearer abcdefghijklmnop1234567890", "abcdefghijklmnop1234567890", "Authorization: Bearer <SECRET>",
     ["secret"]),
    ("비밀번호: hunter2!", "hunter2", "비밀번호: <SECRET>", ["secret"]),
    ("my password is Tr0ub4dor&3 so", "Tr0ub4dor", "my password is <SECRET> so", ["secret"]),
    ("key 0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "4c0883a69102937d",
     "key <SECRET>", ["secret"]),
    ("메일 a@b.io, 폰 010-9999-8888", "010-9999-8888", "메일 <EMAIL>, 폰 <PHONE>", ["email", "phone"]),
]

NEAR_MISSES = [
    "2026-11-30에 쓴 글",  # a date
    "version 1.2.3 and python 3.11.7",  # versions
    "ISBN 978-3-16-148410-0",  # a book
    "주문번호 20261130-0001",  # an order number
    "1 000 000 won, about 750 dollars",
    "4111 1111 1111 1112",  # fails Luhn
    "990231-1234567",  # February 31st: no such date
    "localhost is 127.0.0.1 and ::1",  # identifies nobody
    "999.1.1.1 is no address",
    "std::vector<int> and a::b::c",
    "12:30:45 in the morning",
    "the ethereum network and meth.ethics",  # not .eth names
    "user@localhost and @handle",  # no domain
    "0x1234 is a short hex number",
    "a tx hash is 0x prefixed",
    "password reset is easy",  # a word, no value
    "토큰이 무엇인가요?",  # "what is a token?"
    "비밀번호를 잊었어요",  # "I forgot my password"
    "sk_live_ is Stripe's prefix",
    "eyJ starts every JWT",
    "See https://blog.example/why/?page=2#intro for more.",  # an ordinary link
    "E = mc^2, 3.14159, 42",
    "Call 1234 for help",  # too short
]


@pytest.mark.parametrize(("text", "gone", "expected", "kinds"), POSITIVES, ids=[p[0][:30] for p in POSITIVES])
def test_personal_data_becomes_a_typed_placeholder(text: str, gone: str, expected: str, kinds: list[str]) -> None:
    scrubbed, found = scrub(text)
    assert gone not in scrubbed
    assert scrubbed == expected
    assert found == kinds


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_stay_as_they_were(text: str) -> None:
    assert scrub(text) == (text, [])


def test_scrubbing_is_idempotent_and_several_texts_share_their_kinds() -> None:
    for text, *_ in POSITIVES:
        once, _kinds = scrub(text)
        assert scrub(once) == (once, []), "a placeholder is never found again"
    texts, kinds = scrub_all(["plain", "mail x@y.org", "010-1234-5678"])
    assert texts == ["plain", "mail <EMAIL>", "<PHONE>"] and kinds == ["email", "phone"]
