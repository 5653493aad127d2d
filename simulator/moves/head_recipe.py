"""How ``frontline train-heads`` fits the encoder's heads: the recipe and its defaults.

Apart from :mod:`.train_heads` so the command line can show the defaults without
importing numpy. The defaults were chosen on the corpus' dev split (docs/moves.md,
"The heads"); the features are the sentence's and where it stands in the turn, because
reading the whole turn too kept the turn latency p95 above its 60 ms target (docs/moves.md,
"Sentence-only features", "Where the sentence stands").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    """A hidden ReLU layer of ``hidden`` units shared by every move, then a sigmoid per
    move (``hidden`` 0: one logistic regression per move, the first heads), fitted by
    full-batch Adam with L2 and, on the hidden layer, dropout. ``features``: what a head
    reads: a sentence's embedding alone (``unit``), beside where the sentence stands in its
    turn (``unit+position``: first, last, only, how many; no further embedding) or beside
    the whole turn's embedding (``unit+turn``, a second embedding of every multi-sentence
    turn).
    ``lexical``: whether the heads also read the sentence's character n-grams."""

    hidden: int = 256
    l2: float = 1e-4
    iterations: int = 400
    lr: float = 0.01
    dropout: float = 0.2
    features: str = "unit+position"
    # The n-gram view (:mod:`.lexical`): a logistic regression per move over the sentence's
    # character n-grams, averaged with the network in log-odds; full-batch Adam, L2.
    lexical: bool = True
    lexical_iterations: int = 120
    lexical_lr: float = 0.08
    lexical_l2: float = 1e-5


FEATURES = ("unit", "unit+position", "unit+turn")
POSITION_WIDTH = 4  # first, last, only, how many sentences (see encoder.position_features)
DEFAULT = Recipe()
# The first heads (issue 12, first round): one logistic regression per move.
LINEAR = Recipe(hidden=0, l2=1e-5, iterations=1500, lr=0.01, dropout=0.0, lexical=False)
