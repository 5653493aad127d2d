"""Full-batch Adam, shared by everything ``frontline train-heads`` fits (the network over the
embeddings, the linear heads and the n-gram view): numpy only, deterministic."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def adam(params: list[np.ndarray]) -> Callable[[list[np.ndarray], float], None]:
    """A step function over ``params`` (updated in place): call it with their gradients, in
    the same order, and the learning rate."""
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    step = [0]

    def update(grads: list[np.ndarray], lr: float) -> None:
        step[0] += 1
        t = step[0]
        for param, grad, (m, v) in zip(params, grads, moments, strict=True):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)

    return update
