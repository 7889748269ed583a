"""Strict JSON reading: repeated keys are refused, and finding one stays linear."""

from __future__ import annotations

import json

import pytest

from microcred.errors import InputError
from microcred.verify.jsontext import load_json, repeated_key


class CountingKey(str):
    """A key that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingKey.comparisons += 1
        return str.__eq__(self, other)

    def __hash__(self) -> int:
        return str.__hash__(self)


def test_a_large_object_repeating_its_last_key_is_refused_naming_it() -> None:
    members = ", ".join(f'"k{i}": {i}' for i in range(20_000))
    text = "{" + members + ', "k19999": "again"}'
    with pytest.raises(InputError) as caught:
        load_json(text)
    assert caught.value.message.startswith("JSON object repeats a key")
    assert caught.value.found == "k19999"


def test_an_object_without_repeats_is_read() -> None:
    assert load_json(json.dumps({f"k{i}": i for i in range(1000)}))["k999"] == 999


def test_finding_the_repeated_key_compares_each_key_a_bounded_number_of_times() -> None:
    count = 5_000
    keys = [CountingKey(f"k{i}") for i in range(count)] + [CountingKey(f"k{count - 1}")]
    CountingKey.comparisons = 0
    assert repeated_key(keys) == f"k{count - 1}"
    # A set lookup compares only on a hash match; a search with list.count() made ~count**2.
    assert CountingKey.comparisons <= 2 * len(keys)


def test_no_repeated_key_gives_none() -> None:
    assert repeated_key(["a", "b", "c"]) is None
    assert repeated_key([]) is None
