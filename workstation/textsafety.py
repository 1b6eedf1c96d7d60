"""Characters refused in text a user hands in: controls, and the invisible characters that change how a name looks.

A name, address, reference or office detail is shown on screen and printed on a letter. A character that is not
drawn, or that rearranges what is drawn around it, lets a file show a name other than the one stored: a
RIGHT-TO-LEFT OVERRIDE (U+202E) prints "Maria Example" as "elpmaxE airaM", a ZERO WIDTH SPACE (U+200B) makes two
different names look the same, a LINE SEPARATOR (U+2028) breaks a name over two lines. So every text field of an
input file refuses, wherever it occurs in the (trimmed) value:

- control characters (Unicode category Cc): C0 U+0000-U+001F (tab, line feed and carriage return included), DELETE
  U+007F and C1 U+0080-U+009F;
- format characters (Cf): the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
  the direction marks (U+200E, U+200F, U+061C), the zero-width characters (U+200B-U+200D, U+2060, U+FEFF), the
  soft hyphen (U+00AD), the tag characters (U+E0000-U+E007F), and the few others;
- the line and paragraph separators U+2028 and U+2029 (Zl, Zp).

Free text that may span lines (a subject's reason, a purpose statement, a note, a justification) allows tab, line
feed and carriage return, and refuses the rest. The direction marks are refused too, though they only nudge
neutral characters: names on file are in Latin script, and a mark is as invisible as the rest.

`UNSAFE` is that set for Unicode 14 (Python 3.11's `unicodedata`); tests/test_hostile_names.py checks it against
`unicodedata` code point by code point. A message names the character by its code point and name, never the
value that holds it.
"""

from __future__ import annotations

import re
import unicodedata

_FORMAT = ("\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
           "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
           "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT}]")                           # one-line text
UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_FORMAT}]")    # free text: tab, LF, CR allowed
# What `clean` deletes from ASCII and Latin-1 text before looking at what is left: the printable characters (of
# Latin-1: all from U+00A0 but the soft hyphen), and with `line_ends` line feed and carriage return.
_ASCII_PRINTABLE = bytes(range(0x20, 0x7F))
_LATIN1_PRINTABLE = _ASCII_PRINTABLE + bytes(c for c in range(0xA0, 0x100) if c != 0xAD)
_LINE_ENDS = b"\n\r"

_C0 = ("NULL", "START OF HEADING", "START OF TEXT", "END OF TEXT", "END OF TRANSMISSION", "ENQUIRY", "ACKNOWLEDGE",
       "BELL", "BACKSPACE", "CHARACTER TABULATION", "LINE FEED", "LINE TABULATION", "FORM FEED", "CARRIAGE RETURN",
       "SHIFT OUT", "SHIFT IN", "DATA LINK ESCAPE", "DEVICE CONTROL ONE", "DEVICE CONTROL TWO",
       "DEVICE CONTROL THREE", "DEVICE CONTROL FOUR", "NEGATIVE ACKNOWLEDGE", "SYNCHRONOUS IDLE",
       "END OF TRANSMISSION BLOCK", "CANCEL", "END OF MEDIUM", "SUBSTITUTE", "ESCAPE", "INFORMATION SEPARATOR FOUR",
       "INFORMATION SEPARATOR THREE", "INFORMATION SEPARATOR TWO", "INFORMATION SEPARATOR ONE")


def clean(text: str, *, line_ends: bool = False) -> bool:
    """Whether `text` holds none of UNSAFE (with `line_ends`, line feeds and carriage returns between lines are
    allowed: the text of a CSV chunk). The fast check of a whole column or chunk, about half a nanosecond a
    character: ASCII text (told in O(1)) or Latin-1 text (accents, a no-break space) has its printable
    characters deleted by `bytes.translate`, and nothing may be left (a tenth of the regex's time); other text is
    first asked `str.isprintable` (false for every character of UNSAFE, and for a few harmless ones, such as an
    em space or a private-use character: the regex then decides, ~15 ns a character)."""
    keep = _LATIN1_PRINTABLE + _LINE_ENDS if line_ends else _LATIN1_PRINTABLE
    if text.isascii():
        return not text.encode("ascii").translate(None, keep)
    try:
        return not text.encode("latin-1").translate(None, keep)
    except UnicodeEncodeError:
        pass
    if line_ends:
        text = text.replace("\n", "").replace("\r", "")
    return text.isprintable() or UNSAFE.search(text) is None


def first_unsafe(value: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """(position from 1, character) of the first refused character of `value`, or None."""
    found = (UNSAFE_MULTILINE if multiline else UNSAFE).search(value)
    return (found.start() + 1, found.group()) if found else None


def describe(char: str) -> str:
    """A character as a message names it: "U+202E RIGHT-TO-LEFT OVERRIDE", "U+0009 CHARACTER TABULATION"."""
    code = ord(char)
    if code < 0x20:
        name = _C0[code]
    elif code == 0x7F:
        name = "DELETE"
    elif 0x80 <= code <= 0x9F:
        name = "(a C1 control character)"
    else:
        name = unicodedata.name(char, "(a format character)")
    return f"U+{code:04X} {name}"


def problem(what: str, value: str, *, multiline: bool = False) -> str | None:
    """The message for a refused character in `value`, or None: "name contains U+202E RIGHT-TO-LEFT OVERRIDE at
    character 6; ..." (`what` the field, or "" when the message's place names it). It names the character and its
    position, never the value."""
    hit = first_unsafe(value, multiline=multiline)
    if hit is None:
        return None
    position, char = hit
    subject = f"{what} contains" if what else "contains"
    return f"{subject} {describe(char)} at character {position:,}; {NOT_ALLOWED}"


NOT_ALLOWED = "control characters and invisible formatting characters are not allowed"
