"""Form encoding (`application/x-www-form-urlencoded`) as browsers and OAuth clients send it,
read strictly, and the text rules the Rust stack's OAuth server uses, so both stacks read every
request alike.

The standard library's `urllib.parse.parse_qsl` would accept a repeated parameter (the last one
would silently win) and decodes bytes that are not UTF-8 differently, so the few lines here do
it by hand: `+` is a space, `%XX` a byte, bytes that are not UTF-8 become U+FFFD, and a
parameter given twice is refused (RFC 6749, 3.1).
"""

from urllib.parse import unquote_to_bytes

# What Rust's `char::is_whitespace` (Unicode White_Space) counts as whitespace. Python's
# `str.split()` and `str.strip()` also count U+001C to U+001F, which would read some scopes and
# usernames differently.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)

# The bytes a form value keeps as they are; every other byte but the space is `%XX`.
_UNENCODED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


class RepeatedParameterError(ValueError):
    """A form or query string names a parameter more than once."""


def parse_pairs(raw: bytes) -> list[tuple[str, str]]:
    """Every `name=value` pair of a form body or query string, decoded, in order."""
    pairs = []
    for piece in raw.split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            pairs.append((_decode(name), _decode(value)))
    return pairs


def parse_form(raw: bytes) -> dict[str, str]:
    """The parameters of a form body or query string; a parameter given twice is refused."""
    params: dict[str, str] = {}
    for name, value in parse_pairs(raw):
        if name in params:
            raise RepeatedParameterError(f"the parameter `{name}` is given more than once")
        params[name] = value
    return params


def parse_first(raw: bytes) -> tuple[dict[str, str], list[str]]:
    """The first value of each parameter of a query string, and the names given more than
    once, in order: an authorization request refuses those by redirecting back once its client
    and redirect URI are known (RFC 6749, 4.1.2.1)."""
    params: dict[str, str] = {}
    repeated: list[str] = []
    for name, value in parse_pairs(raw):
        if name not in params:
            params[name] = value
        elif name not in repeated:
            repeated.append(name)
    return params, repeated


def form_value(text: str) -> str:
    """`text` decoded as one form value (as in HTTP Basic client credentials, RFC 6749, 2.3.1).

    Like a value in a form, it ends at the first `&`.
    """
    return parse_pairs(b"x=" + text.encode())[0][1]


def encode_form(params: list[tuple[str, str]]) -> str:
    """`params` as a form body or query string."""
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in params)


def split_whitespace(text: str) -> list[str]:
    """The words of `text`, split at runs of whitespace."""
    words = []
    word: list[str] = []
    for c in text:
        if c in WHITESPACE:
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(c)
    if word:
        words.append("".join(word))
    return words


def trim(text: str) -> str:
    """`text` without whitespace at either end."""
    return text.strip(WHITESPACE)


def _decode(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def _encode(text: str) -> str:
    return "".join(
        chr(byte) if byte in _UNENCODED else "+" if byte == 0x20 else f"%{byte:02X}"
        for byte in text.encode()
    )
