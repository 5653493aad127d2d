"""``frontline serve``: the web UI. Offline, with no configuration, on 127.0.0.1:7860."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import FrontlineError
from ..servers import announce


def run(args: argparse.Namespace) -> int:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    if args.users:
        os.environ["FRONTLINE_USERS"] = str(Path(args.users).expanduser().resolve())
        if not Path(os.environ["FRONTLINE_USERS"]).is_file():
            raise FrontlineError(
                f"no users file at {args.users}; create it with "
                "`frontline users add NAME --role ROLE --file FILE`"
            )
    from ..web import build_app, launch  # gradio is slow to import: only when serving
    from ..web.context import WebContext

    ctx = WebContext.from_environment(offline=args.offline)
    if ctx.local_mode:
        print(
            f"Frontline: no users file at {ctx.users.path}, so the web UI runs in local "
            "single-user mode (no login). Adding users with `frontline users add NAME "
            "--role trainee` turns logins on at once, without a restart."
        )
    else:
        print(f"Frontline: logins from {ctx.users.path}")
    print(f"Frontline: the customer's words come from the {ctx.renderer.name} renderer")
    try:
        record = announce(ctx.users.path, f"http://{args.host}:{args.port}/")
    except OSError as exc:  # only `users add`'s note depends on it: serve anyway
        print(
            f"Frontline: warning: cannot record this server beside {ctx.users.path} "
            f"({exc.strerror or exc}); `frontline users add` will not mention it"
        )
        record = None
    try:
        launch(build_app(ctx), host=args.host, port=args.port)
    finally:
        if record is not None:
            record.unlink(missing_ok=True)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="start the web UI",
        description="Start the web UI: practice, scorecards, history "
        "and, for trainers, the persona designer.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for the network)",
    )
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument(
        "--users",
        metavar="FILE",
        help="users file (default: $FRONTLINE_USERS, "
        "else data/users.yaml; none means local single-user mode)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="use the phrase-bank customer even "
        "if a language model is configured (FRONTLINE_LLM_*)",
    )
    p.set_defaults(func=run)
