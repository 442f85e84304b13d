import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
import slugs  # noqa: E402


@pytest.mark.parametrize("text,slug", [
    ("Hello World", "hello-world"),
    ("  Jane  Doe ", "jane-doe"),
    ("API v2.0!", "api-v2-0"),
    ("Zoë Ångström", "zoe-angstrom"),
])
def test_slugify(text, slug):
    assert slugs.slugify(text) == slug


def test_unique_slug_appends_a_number():
    assert slugs.unique_slug("Jane Doe", set()) == "jane-doe"
    assert slugs.unique_slug("Jane Doe", {"jane-doe", "jane-doe-2"}) == "jane-doe-3"
    assert slugs.unique_slug("!!!", set()) == "item"


def test_phone_slug():
    assert slugs.phone_slug("+1 (555) 010-0200") == "plus-15550100200"
    assert slugs.phone_slug("555 0100") == "5550100"
    with pytest.raises(ValueError):
        slugs.phone_slug("n/a")
