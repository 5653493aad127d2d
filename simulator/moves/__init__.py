"""Moves: the vocabulary of what a trainee's turn does, and detectors that find them."""

from .detector import Detection, Detector, RuleDetector, default_detector
from .vocabulary import GOOD_MOVES, MOVES, VIOLATIONS, Move, MoveInfo

__all__ = [
    "Detection",
    "Detector",
    "RuleDetector",
    "default_detector",
    "GOOD_MOVES",
    "MOVES",
    "VIOLATIONS",
    "Move",
    "MoveInfo",
]
