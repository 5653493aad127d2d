"""Frontline: simulated complaining customers and a rubric grader for service training."""

__version__ = "0.1.0"
