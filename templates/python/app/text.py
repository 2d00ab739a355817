"""The white space around a TODO text: exactly the characters JSON Schema's `\\s` matches
(ECMA-262's WhiteSpace and LineTerminator), so the spec's `pattern: "\\\\S"` and the server refuse
the same texts. Python's `str.strip` would differ (it strips U+001C to U+001F and U+0085, and
keeps U+FEFF)."""

SPACES = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
"""The characters of ECMA-262's `\\s`."""


def trim_spaces(text: str) -> str:
    """`text` without `SPACES` at either end; empty when it has nothing else."""
    return text.strip(SPACES)
