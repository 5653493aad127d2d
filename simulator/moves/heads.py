"""The encoder's per-move classification heads: a small network (or logistic regressions).

The heads turn a sentence embedding (from the bundled multilingual encoder, see
:mod:`simulator.moves.encoder`) into one probability per move, and say, per language,
from which probability a move counts as found. They are *generated*:
``frontline train-heads`` (``python -m simulator.moves.train_heads``) writes them from the
corpus' train split and chooses the thresholds on its dev split; never edit the file.

The file (``heads.npz`` beside this module) is a NumPy ``.npz`` archive, read without
pickles:

==============  ===========  ============================================================
array           shape        meaning
==============  ===========  ============================================================
``moves``       (M,)         the move ids, in column order (text)
``hidden_w``    (D, H)       float16, optional: the hidden layer (ReLU), shared by every
                             move; absent in linear heads (one logistic regression per
                             move over the features)
``hidden_b``    (H,)         float32, optional: its bias
``weights``     (H, M)       float32; per-move output weights (D, M when linear; D is the
                             width of the features, below)
``bias``        (M,)         float32
``languages``   (L,)         the languages with thresholds (text)
``thresholds``  (L, M)       float32; a move is found where its probability reaches the
                             threshold; above 1 means never in that language
``veto``        (M,)         float32, optional: a rule's find of a move is dropped where
                             the encoder's probability of that move in its sentence is
                             below this (0: the rule's find always stands); see
                             :mod:`.rule_trust`
``lexicon_``    (V,) (V,)    optional, the n-gram view (:mod:`.lexical`): ``ngrams`` (text),
``ngrams/idf/`` (V, M) (M,)  ``idf`` (float32), ``weights`` (float16), ``bias`` (float32);
``weights/bias``             where present a move's log-odds are the mean of the network's
                             and the n-grams'
``meta``        ()           JSON text: ``schema_version``, the encoder, the features,
                             the seed and the training and dev figures
==============  ===========  ============================================================

The features are a unit's embedding (a sentence; ``meta["features"] == "unit"``), that
followed by where the sentence stands in its turn (``"unit+position"``, the default: four
numbers, see :func:`.encoder.position_features`), or followed by the whole turn's
embedding (``"unit+turn"``: a head sees the sentence and its context, at the cost of
embedding every multi-sentence turn twice).
The hidden layer is stored as float16 to keep the file small (384 KB for 256 units); it
is fitted in float32 and the rounding moves a probability by less than 0.001.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FileProblems, Problem
from .head_recipe import FEATURES
from .lexical import Lexicon
from .vocabulary import Move

HEADS_FILE = Path(__file__).parent / "heads.npz"
HEADS_SCHEMA_VERSION = 3  # 2: the optional hidden layer; 3: the optional n-gram view
NEVER = 2.0  # a threshold no probability reaches


@dataclass
class Heads:
    """Per-move probabilities over sentence embeddings (through an optional shared hidden
    layer), with per-language thresholds."""

    moves: list[Move]
    weights: np.ndarray  # (H, M), or (D, M) without a hidden layer
    bias: np.ndarray  # (M,)
    thresholds: dict[str, np.ndarray]  # language -> (M,)
    meta: dict = field(default_factory=dict)
    hidden: tuple[np.ndarray, np.ndarray] | None = None  # (D, H) weights and (H,) bias
    veto: np.ndarray | None = None  # (M,): see rule_trust; None or 0 keeps every rule find
    lexicon: Lexicon | None = None  # the n-gram view of the sentence (lexical)

    @property
    def features(self) -> str:
        """What the heads read (:data:`.head_recipe.FEATURES`): ``unit`` (a sentence's
        embedding), ``unit+position`` (and where it stands in its turn) or ``unit+turn``
        (and the whole turn's embedding)."""
        return self.meta.get("features", "unit")

    def probabilities(self, features: np.ndarray, pieces: list[str] | None = None) -> np.ndarray:
        """(N, M) probabilities of each move for N feature rows; heads with an n-gram view
        also need the rows' texts (``pieces``)."""
        x = features.astype(np.float32)
        if self.hidden is not None:
            w1, b1 = self.hidden
            x = np.maximum(x @ w1.astype(np.float32) + b1, 0.0)
        z = x @ self.weights + self.bias
        if self.lexicon is not None:
            if pieces is None or len(pieces) != len(features):
                raise ValueError("these heads read the sentences' n-grams: pass their texts")
            z = 0.5 * z + 0.5 * self.lexicon.logits(list(pieces))
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))

    def threshold(self, language: str) -> np.ndarray | None:
        """The language's thresholds, or None when the heads were not tuned for it."""
        return self.thresholds.get(language)

    def save(self, path: Path = HEADS_FILE) -> None:
        """Write the heads as the ``.npz`` archive described in the module docstring."""
        langs = sorted(self.thresholds)
        hidden = {}
        if self.hidden is not None:
            hidden = {
                "hidden_w": self.hidden[0].astype(np.float16),
                "hidden_b": self.hidden[1].astype(np.float32),
            }
        extra = {"veto": self.veto.astype(np.float32)} if self.veto is not None else {}
        if self.lexicon is not None:
            extra |= {
                "lexicon_ngrams": np.array(self.lexicon.vocabulary),
                "lexicon_idf": self.lexicon.idf.astype(np.float32),
                "lexicon_weights": self.lexicon.weights.astype(np.float16),
                "lexicon_bias": self.lexicon.bias.astype(np.float32),
            }
        np.savez_compressed(
            path,
            **hidden,
            **extra,
            moves=np.array([m.value for m in self.moves]),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            languages=np.array(langs),
            thresholds=np.stack([self.thresholds[lang] for lang in langs]).astype(np.float32),
            meta=np.array(json.dumps({"schema_version": HEADS_SCHEMA_VERSION, **self.meta})),
        )


def load_heads(path: Path = HEADS_FILE) -> Heads:
    """Read heads written by :meth:`Heads.save`; FileProblems names the file when it is
    missing, broken or of another schema."""
    try:
        with np.load(path, allow_pickle=False) as z:
            moves = [Move(str(m)) for m in z["moves"]]
            weights, bias = z["weights"], z["bias"]
            langs = [str(x) for x in z["languages"]]
            thresholds = {lang: z["thresholds"][i] for i, lang in enumerate(langs)}
            meta = json.loads(str(z["meta"]))
            hidden = (z["hidden_w"], z["hidden_b"]) if "hidden_w" in z.files else None
            veto = z["veto"] if "veto" in z.files else None
            lexicon = None
            if "lexicon_ngrams" in z.files:
                lexicon = Lexicon(
                    [str(g) for g in z["lexicon_ngrams"]],
                    z["lexicon_idf"].astype(np.float32),
                    z["lexicon_weights"].astype(np.float32),
                    z["lexicon_bias"].astype(np.float32),
                )
    except (OSError, EOFError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise FileProblems([Problem(str(path), f"unreadable encoder heads: {exc}")]) from exc
    if meta.get("schema_version") != HEADS_SCHEMA_VERSION:
        raise FileProblems(
            [Problem(str(path), f"encoder heads of schema {meta.get('schema_version')!r}")]
        )
    m = len(moves)
    kind = meta.get("features", "unit")
    if kind not in FEATURES:
        raise FileProblems([Problem(str(path), f"encoder heads reading unknown features {kind!r}")])
    if weights.ndim != 2 or weights.shape[1] != m or bias.shape != (m,):
        raise FileProblems([Problem(str(path), "encoder heads: arrays of the wrong shape")])
    if hidden is not None and (
        hidden[0].ndim != 2
        or hidden[0].shape[1] != weights.shape[0]
        or hidden[1].shape != (weights.shape[0],)
    ):
        raise FileProblems([Problem(str(path), "encoder heads: a hidden layer of the wrong shape")])
    if any(t.shape != (m,) for t in thresholds.values()):
        raise FileProblems([Problem(str(path), "encoder heads: thresholds of the wrong shape")])
    if veto is not None and veto.shape != (m,):
        raise FileProblems([Problem(str(path), "encoder heads: vetoes of the wrong shape")])
    if lexicon is not None and (
        lexicon.idf.shape != (len(lexicon.vocabulary),)
        or lexicon.weights.shape != (len(lexicon.vocabulary), m)
        or lexicon.bias.shape != (m,)
    ):
        raise FileProblems([Problem(str(path), "encoder heads: an n-gram view of the wrong shape")])
    return Heads(moves, weights, bias, thresholds, meta, hidden, veto, lexicon)
