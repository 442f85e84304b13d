"""Slugs for the Core API Layer: URL-safe names of humans and phone numbers."""
import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case ASCII letters and digits, words joined by '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub("-", ascii_text.lower()).strip("-")


def unique_slug(text: str, taken: set) -> str:
    """slugify(text), with -2, -3, ... appended until it is not in `taken`."""
    base = slugify(text) or "item"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def phone_slug(number: str) -> str:
    """The digits of a phone number, with its leading '+' kept as 'plus-'."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        raise ValueError(f"no digit in phone number {number!r}")
    return ("plus-" if number.strip().startswith("+") else "") + digits
