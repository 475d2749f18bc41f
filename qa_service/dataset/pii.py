"""The one scrubber every exported text passes through: personal data and secrets become
typed placeholders, and the caller learns which kinds were replaced.

| kind     | placeholder | found by |
|----------|-------------|----------|
| secret   | <SECRET>    | private-key blocks, JWTs, secret query parameters and passwords in URLs, well-known key prefixes (sk_live_, ghp_, AKIA, xoxb-, sk-...), `Bearer x`, `password: x`, 0x + 64 hex (a private key or a transaction hash: either leads to a wallet) |
| email    | <EMAIL>     | address pattern (Hangul after it is allowed: `a@b.com으로`) |
| wallet   | <WALLET>    | 0x + 40 hex (EVM), bech32 `bc1...`, base58check Bitcoin addresses (checksum verified) |
| ens      | <ENS>       | `name.eth` names |
| kr_rrn   | <KR_RRN>    | Korean resident (and foreigner) registration numbers: YYMMDD-Gxxxxxx with a real date |
| card     | <CARD>      | 13-19 digit numbers, spaces or dashes allowed, that pass the Luhn check |
| ip       | <IP>        | IPv4 and IPv6 addresses that `ipaddress` accepts, except loopback and unspecified |
| phone    | <PHONE>     | Google's libphonenumber (the `phonenumbers` package): numbers valid for their country, read as Korean when they carry no +country code, as well as +44 7700 900123 forms |

Pure and deterministic: `scrub(text)` -> (text, sorted kinds). Detectors run in the order
above, so a later one never sees what an earlier one replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
from typing import Callable, Iterable
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import phonenumbers

PLACEHOLDERS = {
    "secret": "<SECRET>", "email": "<EMAIL>", "wallet": "<WALLET>", "ens": "<ENS>", "kr_rrn": "<KR_RRN>",
    "card": "<CARD>", "ip": "<IP>", "phone": "<PHONE>",
}

# Query (and fragment) parameters whose values are credentials.
SECRET_PARAMS = frozenset({
    "token", "access_token", "refresh_token", "id_token", "auth", "authorization", "api_key", "apikey", "api-key",
    "key", "secret", "client_secret", "password", "passwd", "pass", "pwd", "sig", "signature", "x-amz-signature",
    "x-amz-credential", "x-amz-security-token", "session", "sessionid", "session_id", "sid", "code", "otp", "jwt",
    "private_token", "access_key", "secret_key", "ticket", "hash",
})

_NOT_WORD_BEFORE = r"(?<![A-Za-z0-9_])"
_NOT_WORD_AFTER = r"(?![A-Za-z0-9_])"  # Hangul may follow: 조사 (particles) stick to the word before

PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S)
JWT = re.compile(_NOT_WORD_BEFORE + r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"'`]+")
KEY_PREFIXES = re.compile(_NOT_WORD_BEFORE + r"(?:"
                          r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"  # Stripe
                          r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic
                          r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"  # GitHub
                          r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
                          r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
                          r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
                          r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
                          r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
                          r"|npm_[A-Za-z0-9]{36}"
                          r")" + _NOT_WORD_AFTER)
BEARER = re.compile(r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/-]{16,}=*")
LABELS = ("pass", "pwd", "api", "secret", "token", "비밀번호", "비번", "암호", "패스워드", "토큰", "시크릿")
_LABEL = (r"(?i)((?:password|passwd|pwd|passphrase|api[ _-]?key|secret[ _-]?key|client[ _-]?secret|access[ _-]?token"
          r"|auth[ _-]?token|비밀번호|비번|암호|패스워드|토큰|시크릿 ?키)")
LABELLED = re.compile(_LABEL + r"\s*[:=]\s*)([^\s,;&<>]{4,})")  # password: hunter22
SAID = re.compile(_LABEL + r"\s*(?:은|는|이|가|is)?\s+)(?=\S*[0-9!@#$%^&*_-])([^\s,;<>]{8,})")  # 비밀번호는 hunter22!
HEX64 = re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{64}(?![0-9A-Za-z])")
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])")
EVM = re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])")
BECH32 = re.compile(r"(?<![0-9A-Za-z])(?:bc1|tb1)[02-9ac-hj-np-z]{25,87}(?![0-9A-Za-z])", re.I)
BASE58 = re.compile(r"(?<![0-9A-Za-z])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9A-Za-z])")
ENS = re.compile(r"(?<![A-Za-z0-9.-])(?:[A-Za-z0-9-]+\.)+eth(?![A-Za-z0-9-])", re.I)
KR_RRN = re.compile(r"(?<![0-9])(\d{2})(\d{2})(\d{2})\s?-?\s?([1-8])\d{6}(?![0-9])")
CARD = re.compile(r"(?<![0-9])(?:\d[ -]?){12,18}\d(?![0-9])")
IPV4 = re.compile(r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.[0-9])")
IPV6 = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![0-9A-Za-z:])")
DIGITS = re.compile(r"\d")


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58check(text: str) -> bool:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
    return len(raw) == 25 and hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def _real_date(yy: str, mm: str, dd: str) -> bool:
    try:
        dt.date(2000 + int(yy), int(mm), int(dd))  # a leap year when 1900+yy is one too, but for 1900
        return True
    except ValueError:
        return False


def _kept_ip(text: str) -> bool:
    """True when `text` is an address that identifies nobody (loopback, unspecified) or none at all."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return True
    return address.is_loopback or address.is_unspecified


def _url(match: re.Match[str]) -> str:
    """The URL with its password and secret parameters replaced; the rest kept for context."""
    url = match.group(0)
    trail = ""
    while url and url[-1] in ".,;:!?)]}":  # sentence punctuation after a link
        trail = url[-1] + trail
        url = url[:-1]
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc and ":" in netloc.split("@", 1)[0]:
        user = netloc.split("@", 1)[0].split(":", 1)[0]
        netloc = f"{user}:{PLACEHOLDERS['secret']}@{netloc.split('@', 1)[1]}"

    def clean(query: str) -> str:
        pairs = parse_qsl(query, keep_blank_values=True)
        secret = [bool(value) and name.lower() in SECRET_PARAMS for name, value in pairs]  # blank: nothing to hide
        if not any(secret):
            return query
        return "&".join(f"{quote(name, safe='')}={PLACEHOLDERS['secret'] if hidden else quote(value, safe='')}"
                        for (name, value), hidden in zip(pairs, secret, strict=True))

    cleaned = urlunsplit((parts.scheme, netloc, parts.path, clean(parts.query),
                          clean(parts.fragment) if "=" in parts.fragment else parts.fragment))
    return (cleaned if cleaned != urlunsplit(parts) else url) + trail


Replace = Callable[[re.Match[str]], str | None]  # None: not this kind after all, keep the text


def _whole(kind: str) -> Replace:
    return lambda match: PLACEHOLDERS[kind]


def _phone_run(match: re.Match[str]) -> str:
    """A run of digits and separators, handed to libphonenumber alone (on a whole text its
    matcher costs milliseconds). A number with +country code may be any number of a possible
    length for its country (drama and test ranges such as +44 7700 900123 included); one
    without is a valid Korean number, else a valid North American one."""
    run = match.group(0)
    if len(DIGITS.findall(run)) < 7:
        return run
    for region, leniency in PHONE_PASSES:
        spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(run, region, leniency=leniency)]
        for start, end in reversed(spans):
            run = run[:start] + PLACEHOLDERS["phone"] + run[end:]
    return run


PHONE_PASSES = (("ZZ", phonenumbers.Leniency.POSSIBLE), ("KR", phonenumbers.Leniency.VALID),
                ("US", phonenumbers.Leniency.VALID))
PHONE_RUN = re.compile(r"(?<![0-9A-Za-z+])\+?\(?[0-9][0-9 ().\-]{5,24}[0-9](?![0-9A-Za-z])")


# (kind, pattern, replacement, gate). The gate keeps the common text, with nothing to find,
# cheap: a tuple of lower-case literals is looked for with `in` (C speed) and, for an
# anchored detector, the pattern is only tried where one of them starts; a pattern gate is
# searched first. Most texts pass through a few substring tests and no Python callback.
Gate = tuple[str, ...] | re.Pattern[str]
_SEVEN_DIGITS = re.compile(r"\d(?:[ ().+\-]{0,3}\d){6,}")  # a run of 7+ digits: ids, cards, phones
_HEX = ("0x",)
DETECTORS: list[tuple[str, re.Pattern[str], Replace, Gate, bool]] = [
    ("secret", PRIVATE_KEY, _whole("secret"), ("-----begin",), True),
    ("secret", JWT, _whole("secret"), ("eyj",), True),
    ("secret", URL, lambda m: None if (new := _url(m)) == m.group(0) else new, ("://",), False),
    ("secret", KEY_PREFIXES, _whole("secret"), ("sk_", "rk_", "pk_", "sk-", "gh", "github_pat_", "glpat-", "xox", "akia",
                                                  "asia", "aiza", "hf_", "npm_"), True),
    ("secret", BEARER, lambda m: m.group(1) + PLACEHOLDERS["secret"], ("bearer",), True),
    ("secret", LABELLED, lambda m: m.group(1) + PLACEHOLDERS["secret"], LABELS, True),
    ("secret", SAID, lambda m: m.group(1) + PLACEHOLDERS["secret"], LABELS, True),
    ("email", EMAIL, _whole("email"), ("@",), False),
    ("secret", HEX64, _whole("secret"), _HEX, True),
    ("wallet", EVM, _whole("wallet"), _HEX, True),
    ("wallet", BECH32, _whole("wallet"), ("bc1", "tb1"), True),
    ("wallet", BASE58, lambda m: PLACEHOLDERS["wallet"] if _base58check(m.group(0)) else None,
     re.compile(r"[13][1-9A-HJ-NP-Za-km-z]{25}"), False),
    ("ens", ENS, _whole("ens"), (".eth",), False),
    ("kr_rrn", KR_RRN, lambda m: PLACEHOLDERS["kr_rrn"] if _real_date(*m.group(1, 2, 3)) else None, _SEVEN_DIGITS, False),
    ("card", CARD, lambda m: PLACEHOLDERS["card"] if _luhn(re.sub(r"[ -]", "", m.group(0))) else None, _SEVEN_DIGITS, False),
    ("ip", IPV4, lambda m: None if _kept_ip(m.group(0)) else PLACEHOLDERS["ip"], re.compile(r"\d\.\d"), False),
    ("ip", IPV6, lambda m: None if _kept_ip(m.group(0)) else PLACEHOLDERS["ip"], (":",), False),
    ("phone", PHONE_RUN, lambda m: None if (new := _phone_run(m)) == m.group(0) else new, _SEVEN_DIGITS, False),
]


def _anchored(text: str, lower: str, pattern: re.Pattern[str], anchors: tuple[str, ...], sub: Callable[[re.Match[str]], str]) -> str:
    """pattern.sub(sub, text), trying the pattern only where an anchor starts."""
    starts: set[int] = set()
    for anchor in anchors:
        at = lower.find(anchor)
        while at >= 0:
            starts.add(at)
            at = lower.find(anchor, at + 1)
    pieces: list[str] = []
    done = 0
    for at in sorted(starts):
        if at < done:
            continue
        match = pattern.match(text, at)
        if match is None or match.end() == at:
            continue
        pieces += [text[done:at], sub(match)]
        done = match.end()
    return "".join(pieces) + text[done:] if pieces else text


# Several literals: one search of their alternation in the lower-cased text.
_ANY_OF = {gate: re.compile("|".join(map(re.escape, gate))) for _, _, _, gate, _ in DETECTORS
           if isinstance(gate, tuple) and len(gate) > 1}


def _opens(gate: Gate, text: str, lower: str) -> bool:
    if not isinstance(gate, tuple):
        return gate.search(text) is not None
    if len(gate) == 1:
        return gate[0] in lower
    return _ANY_OF[gate].search(lower) is not None


# Whether any detector could fire, from substring tests and a few short searches on the
# lower-cased text: a text that passes none has nothing to scrub, and most texts are such.
_LITERALS = ("@", "://", "0x", ".eth", "-----begin", "eyj", "bearer", "bc1", "tb1", "sk_", "rk_", "pk_", "sk-", "gh",
             "github_pat_", "glpat-", "xox", "akia", "asia", "aiza", "hf_", "npm_")
_LABEL_NEAR_VALUE = re.compile("(?:" + "|".join(LABELS) + r")[^\n]{0,24}?[:=0-9!@#$%^&*_-]")
_DIGIT = re.compile(r"\d")
_NUMBERS = re.compile(r"\d(?:[ ().+\-]{0,3}\d){6,}|\d\.\d|[13][1-9a-z]{25}")
_COLONS = re.compile(r"::|[0-9a-f]:[0-9a-f]")


def _may_hold(lower: str) -> bool:
    if any(literal in lower for literal in _LITERALS):
        return True
    if any(label in lower for label in LABELS) and _LABEL_NEAR_VALUE.search(lower):
        return True
    if _DIGIT.search(lower) and _NUMBERS.search(lower):
        return True
    return ":" in lower and _COLONS.search(lower) is not None


def scrub(text: str) -> tuple[str, list[str]]:
    """(text with every finding replaced by its placeholder, sorted kinds replaced)."""
    lower = text.lower()
    if not _may_hold(lower):
        return text, []
    kinds: set[str] = set()
    for kind, pattern, replace, gate, anchored in DETECTORS:
        if not _opens(gate, text, lower):
            continue

        def sub(match: re.Match[str], kind: str = kind, replace: Replace = replace) -> str:
            new = replace(match)
            if new is None:
                return match.group(0)
            kinds.add(kind)
            return new

        before = text
        if anchored and isinstance(gate, tuple) and len(lower) == len(text):  # lower() kept every index
            text = _anchored(text, lower, pattern, gate, sub)
        else:
            text = pattern.sub(sub, text)
        if text is not before:
            lower = text.lower()
    return text, sorted(kinds)


def scrub_all(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """Several texts of one row: their scrubbed forms and the kinds replaced in any of them."""
    out: list[str] = []
    kinds: set[str] = set()
    for text in texts:
        clean, found = scrub(text)
        out.append(clean)
        kinds.update(found)
    return out, sorted(kinds)
