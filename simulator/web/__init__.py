"""The web UI (Gradio): practice, scorecards, history, the persona designer, users and roles.

Analytics are switched off before gradio is imported anywhere in the package, so starting
the app makes no network call.
"""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from .build import build_app, launch  # noqa: E402  (the environment must be set first)

__all__ = ["build_app", "launch"]
