"""The config reader's own checks (components/config/reader.py)."""

from __future__ import annotations

from components.config.reader import Reader


class _Counted(str):
    """A string that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        _Counted.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_unique_reports_each_repeat_at_its_index():
    reader = Reader()
    reader.unique("gitops.apps", ("a", "b", "a", "c", "b", "a"), ".name")
    assert reader.problems == [
        "groundwork:gitops.apps[2].name: 'a' is listed twice",
        "groundwork:gitops.apps[4].name: 'b' is listed twice",
        "groundwork:gitops.apps[5].name: 'a' is listed twice",
    ]


def test_unique_compares_each_item_a_bounded_number_of_times():
    """Linear in the items: checking every earlier item compared each pair once."""
    items = tuple(_Counted(f"app-{i}") for i in range(2000))
    _Counted.comparisons = 0
    reader = Reader()
    reader.unique("gitops.apps", items, ".name")
    assert reader.problems == []
    assert _Counted.comparisons <= len(items)
