"""Frontline's web UI as a Gradio app: ``python app.py`` (or ``frontline serve``).

Thin on purpose: everything lives in ``simulator.web``. Analytics are switched off before
gradio is imported, so start-up makes no network call.
"""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from simulator.web import build_app, launch  # noqa: E402

demo = build_app()

if __name__ == "__main__":
    launch(
        demo,
        host=os.environ.get("FRONTLINE_HOST", "127.0.0.1"),
        port=int(os.environ.get("FRONTLINE_PORT", "7860")),
    )
