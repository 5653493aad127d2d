"""The embeddings kept on disk between runs (simulator/moves/embedding_store.py)."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

from simulator.moves import embedding_store
from simulator.moves.embedding_store import EmbeddingStore, store_path
from simulator.moves.encoder import Embedder


class CountingModel:
    """Embeds a text as [len, count of 'a', 1, 0]; remembers what it was asked."""

    def __init__(self):
        self.seen: list[str] = []

    def query(self, texts):
        texts = [texts] if isinstance(texts, str) else list(texts)
        self.seen += texts
        return np.array([[len(t), t.count("a"), 1.0, 0.0] for t in texts], dtype=np.float32)


def embedder_with(store: EmbeddingStore | None) -> tuple[Embedder, CountingModel]:
    embedder = Embedder(store=store)
    embedder._model = CountingModel()
    return embedder, embedder._model


def test_a_second_run_reads_the_vectors_the_first_one_kept(tmp_path):
    path = tmp_path / "embeddings.sqlite3"
    first, model = embedder_with(EmbeddingStore(path, "enc 1", 4))
    vectors = first.embed(["a banana", "hello", "a banana"])
    assert model.seen == ["a banana", "hello"]
    again, model = embedder_with(EmbeddingStore(path, "enc 1", 4))  # a new process, in effect
    got = again.embed(["hello", "a banana", "new one"])
    assert model.seen == ["new one"]
    assert np.array_equal(got[:2], vectors[[1, 0]])
    assert again.embedded == 1


def test_vectors_of_another_encoder_are_not_reused(tmp_path):
    path = tmp_path / "embeddings.sqlite3"
    embedder_with(EmbeddingStore(path, "enc 1", 4))[0].embed(["hello"])
    other, model = embedder_with(EmbeddingStore(path, "enc 2", 4))
    other.embed(["hello"])
    assert model.seen == ["hello"]


def test_the_file_keeps_no_text(tmp_path):
    path = tmp_path / "embeddings.sqlite3"
    embedder_with(EmbeddingStore(path, "enc", 4))[0].embed(["my secret complaint"])
    assert b"secret" not in path.read_bytes()


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100, b"SQLite format 3\x00xx"])
def test_a_broken_file_is_said_once_and_the_encoder_embeds_without_it(tmp_path, content, caplog):
    path = tmp_path / "embeddings.sqlite3"
    path.write_bytes(content)
    embedder, model = embedder_with(EmbeddingStore(path, "enc", 4))
    with caplog.at_level(logging.WARNING, logger="frontline.moves"):
        vectors = embedder.embed(["one", "two"])
        embedder.embed(["three"])
    assert vectors.shape == (2, 4) and model.seen == ["one", "two", "three"]
    if content:  # an empty file is simply a new database
        notices = [r for r in caplog.records if "cannot be used" in r.getMessage()]
        assert len(notices) == 1 and str(path) in notices[0].getMessage()


def test_a_folder_that_cannot_be_written_is_no_failure(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    embedder, model = embedder_with(EmbeddingStore(blocker / "sub" / "e.sqlite3", "enc", 4))
    assert embedder.embed(["one"]).shape == (1, 4)


def test_the_store_is_bounded_and_drops_the_oldest(tmp_path, monkeypatch):
    monkeypatch.setattr(embedding_store, "MAX_ROWS", 3)
    path = tmp_path / "embeddings.sqlite3"
    embedder, _ = embedder_with(EmbeddingStore(path, "enc", 4))
    for text in ["one", "two", "three", "four", "five"]:
        embedder.embed([text])
    later, model = embedder_with(EmbeddingStore(path, "enc", 4))
    later.embed(["one", "five"])
    assert model.seen == ["one"]


def test_where_the_store_lives(monkeypatch, tmp_path):
    monkeypatch.setenv("FRONTLINE_DATA", str(tmp_path))
    monkeypatch.delenv("FRONTLINE_EMBEDDINGS", raising=False)
    assert store_path() == tmp_path / "embeddings.sqlite3"
    monkeypatch.setenv("FRONTLINE_EMBEDDINGS", str(tmp_path / "x.sqlite3"))
    assert store_path() == tmp_path / "x.sqlite3"
    monkeypatch.setenv("FRONTLINE_EMBEDDINGS", "off")
    assert store_path() is None


def test_two_processes_share_the_store(tmp_path):
    path = tmp_path / "embeddings.sqlite3"
    script = (
        "import sys, numpy as np\n"
        "from simulator.moves.embedding_store import EmbeddingStore\n"
        f"s = EmbeddingStore(__import__('pathlib').Path({str(path)!r}), 'enc', 4)\n"
        "s.put_many({bytes([i % 256, i // 256]): np.full(4, i, np.float32) for i in range(300)})\n"
    )
    runs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [r.wait(timeout=60) for r in runs] == [0, 0]
    got = EmbeddingStore(path, "enc", 4).get_many([bytes([5, 0]), bytes([43, 1])])
    assert got[bytes([5, 0])][0] == 5 and got[bytes([43, 1])][0] == 299
