"""``Repo``: records per name, and which names track a feature."""

from __future__ import annotations

from conda_altsolver.engine.repo import Repo, split_features


def rec(name, track_features=None):
    return {"name": name, "version": "1", "build": "0", "track_features": track_features}


def test_records_grouped_by_name():
    repo = Repo.from_records([rec("a"), rec("b"), rec("a")])
    assert [r["name"] for r in repo.get("a")] == ["a", "a"]
    assert repo.get("missing") == []
    assert repo.names() == {"a", "b"}


def counting_loader() -> tuple:
    """A loader of one record per name, and the list of the names it was called for."""
    calls = []

    def load(name):
        calls.append(name)
        return [rec(name)]

    return load, calls


def test_loader_called_once_per_known_name():
    load, calls = counting_loader()
    repo = Repo.from_loader(["a", "b"], load)
    repo.get("a")
    repo.get("a")
    assert repo.get("unknown") == []
    assert calls == ["a"]


def test_take_hands_records_over_without_keeping_them():
    load, calls = counting_loader()
    repo = Repo.from_loader(["a", "b"], load)
    kept = repo.get("a")
    assert repo.take("a") is kept  # what get kept is handed over, not loaded again
    assert [r["name"] for r in repo.take("a")] == ["a"]  # then loaded again, not kept
    assert [r["name"] for r in repo.take("b")] == ["b"]
    assert repo.take("unknown") == []
    assert calls == ["a", "a", "b"]
    assert repo._by_name == {}
    in_memory = Repo.from_records([rec("a")])  # its records have no other copy
    assert in_memory.take("a") is in_memory.take("a") is in_memory.get("a")


def test_names_tracking_in_memory():
    repo = Repo.from_records([rec("mkl", "mkl"), rec("blas", "mkl,debug"), rec("x")])
    assert repo.names_tracking("mkl") == {"mkl", "blas"}
    assert repo.names_tracking("debug") == {"blas"}
    assert repo.names_tracking("none") == frozenset()


def test_names_tracking_uses_the_source_lookup_when_given():
    loaded = []

    def load(name):
        loaded.append(name)
        return [rec(name, "f" if name == "b" else None)]

    repo = Repo.from_loader(["a", "b"], load, tracking=lambda feature: ["b"] if feature == "f" else [])
    assert repo.names_tracking("f") == {"b"}
    assert loaded == []


def test_names_tracking_without_a_lookup_loads_every_name():
    repo = Repo.from_loader(["a", "b"], lambda name: [rec(name, "f" if name == "b" else None)])
    assert repo.names_tracking("f") == {"b"}


def test_split_features_as_classic_boxes_them():
    assert split_features("a b,c") == ("a", "b", "c")
    assert split_features(["x", " y "]) == ("x", "y")
    assert split_features(frozenset({"z", "a"})) == ("a", "z")
    assert split_features(None) == ()
