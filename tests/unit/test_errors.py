"""Error-message helpers (pexbench.errors)."""

from __future__ import annotations

from pexbench.errors import listing


def test_listing_shows_the_first_items_and_marks_the_rest() -> None:
    assert listing([]) == ""
    assert listing(["a", "b"]) == "a, b"
    assert listing([f"g{i}" for i in range(10)]) == ", ".join(f"g{i}" for i in range(10))
    assert listing([f"g{i}" for i in range(11)]) == ", ".join(f"g{i}" for i in range(10)) + " ..."
    assert listing([1, 2, 3], 2) == "1, 2 ..."
