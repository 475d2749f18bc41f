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


# (kind, pattern, replacement, gate): the pattern runs only on texts whose lower-cased form
# holds one of the gate's strings (or, for "0-9", has a digit), which keeps the common text
# with nothing to find cheap.
_ANY_DIGIT = ("0-9",)
DETECTORS: list[tuple[str, re.Pattern[str], Replace, tuple[str, ...]]] = [
    ("secret", PRIVATE_KEY, _whole("secret"), ("private key-----",)),
    ("secret", JWT, _whole("secret"), ("eyj",)),
    ("secret", URL, lambda m: None if (new := _url(m)) == m.group(0) else new, ("://",)),
    ("secret", KEY_PREFIXES, _whole("secret"), ("_live_", "_test_", "sk-", "gh", "glpat-", "xox", "akia", "asia", "aiza", "hf_", "npm_")),
    ("secret", BEARER, lambda m: m.group(1) + PLACEHOLDERS["secret"], ("bearer",)),
    ("secret", LABELLED, lambda m: m.group(1) + PLACEHOLDERS["secret"], LABELS),
    ("secret", SAID, lambda m: m.group(1) + PLACEHOLDERS["secret"], LABELS),
    ("email", EMAIL, _whole("email"), ("@",)),
    ("secret", HEX64, _whole("secret"), ("0x",)),
    ("wallet", EVM, _whole("wallet"), ("0x",)),
    ("wallet", BECH32, _whole("wallet"), ("bc1", "tb1")),
    ("wallet", BASE58, lambda m: PLACEHOLDERS["wallet"] if _base58check(m.group(0)) else None, ("1", "3")),
    ("ens", ENS, _whole("ens"), (".eth",)),
    ("kr_rrn", KR_RRN, lambda m: PLACEHOLDERS["kr_rrn"] if _real_date(*m.group(1, 2, 3)) else None, _ANY_DIGIT),
    ("card", CARD, lambda m: PLACEHOLDERS["card"] if _luhn(re.sub(r"[ -]", "", m.group(0))) else None, _ANY_DIGIT),
    ("ip", IPV4, lambda m: None if _kept_ip(m.group(0)) else PLACEHOLDERS["ip"], _ANY_DIGIT),
    ("ip", IPV6, lambda m: None if _kept_ip(m.group(0)) else PLACEHOLDERS["ip"], ("::", ":")),
    ("phone", PHONE_RUN, lambda m: None if (new := _phone_run(m)) == m.group(0) else new, _ANY_DIGIT),
]


def scrub(text: str) -> tuple[str, list[str]]:
    """(text with every finding replaced by its placeholder, sorted kinds replaced)."""
    kinds: set[str] = set()
    lower = text.lower()
    has_digit = DIGITS.search(text) is not None
    for kind, pattern, replace, gate in DETECTORS:
        if not (has_digit if gate is _ANY_DIGIT else any(part in lower for part in gate)):
            continue
        def sub(match: re.Match[str], kind: str = kind, replace: Replace = replace) -> str:
            new = replace(match)
            if new is None:
                return match.group(0)
            kinds.add(kind)
            return new

        text = pattern.sub(sub, text)
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
