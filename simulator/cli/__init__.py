"""The ``frontline`` command. Each subcommand lives in its own module under this package,
which exposes ``register(subparsers)``; the module list below is the whole CLI.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import FileProblems, FrontlineError

# One module per subcommand (or small family of subcommands), in help order.
COMMAND_MODULES = [
    "practice",
    "replay",
    "personas",
    "validate",
    "grade",
    "certify",
    "calibrate",
    "serve",
    "users",
    "schemas",
    "moves",
    "moves_quality",
    "train_heads",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontline",
        description="Practise complaint handling with simulated customers; grade transcripts.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            # While the CLI is being built, a subcommand module may not exist yet.
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: run one subcommand and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except FileProblems as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except FrontlineError as exc:
        print(f"frontline: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`frontline personas | head`): stop quietly, and point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
