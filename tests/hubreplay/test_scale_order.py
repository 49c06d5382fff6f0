"""KeyOrder: descending (key, index) with keyset resumption, stable while keys change."""

from __future__ import annotations

from array import array

from hubreplay.scale.order import KeyOrder


def _walk(order: KeyOrder, page: int, keys: array, between: dict[int, dict[int, int]] | None = None) -> list[int]:
    out: list[int] = []
    cursor = None
    pages = 0
    while True:
        taken = []
        for index in order.after(cursor):
            taken.append(index)
            if len(taken) == page:
                break
        if not taken:
            return out
        out.extend(taken)
        cursor = (int(keys[taken[-1]]), taken[-1])
        pages += 1
        for index, key in (between or {}).get(pages, {}).items():
            if index >= len(keys):
                keys.append(key)
            else:
                keys[index] = key
            order.moved(index)


def test_descending_with_ties_broken_by_index() -> None:
    keys = array("I", [5, 9, 5, 1, 9])
    assert list(KeyOrder.build(keys).after(None)) == [4, 1, 2, 0, 3]
    assert list(KeyOrder.build(keys).after((5, 2))) == [0, 3]


def test_presorted_keys_need_no_sort() -> None:
    keys = array("I", [1, 1, 2, 3, 3])
    assert list(KeyOrder.build(keys, ascending_by_index=True).after(None)) == [4, 3, 2, 1, 0]


def test_moved_and_added_models_neither_skip_nor_repeat_the_others() -> None:
    keys = array("I", range(100))
    order = KeyOrder.build(keys)
    # after page 2 (models 99..80 seen): 10 and 85 (already seen) move to the top, and model 100 is added there
    walked = _walk(order, 10, keys, {2: {10: 1000, 85: 1001, 100: 999}})
    assert len(walked) == len(set(walked))
    assert set(range(100)) - {10} <= set(walked)
    assert 100 not in walked  # added above the cursor: the next walk sees it first
    assert list(order.after(None))[:3] == [85, 10, 100]
