"""Assembling the app: the tabs, the page-load handler, and launch settings that keep the
server private (no analytics, no browser-side run history, no share link, no SSR)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from ..languages.catalogue import Texts
from .auth import banner, login_checker, login_note, viewer
from .certification import CertificationView
from .cohort_view import CohortView
from .context import WebContext
from .designer import DesignerView
from .gate import Gate
from .history import HistoryView
from .language_view import texts_for
from .locale import ui_languages
from .practice import PracticeView
from .theme import CSS, FONTS_DIR, font_css, theme
from .throttle import FIRST_PAUSE, NAME_LIMIT

# Trainees must not wait behind each other: events of different users run side by side.
CONCURRENCY = 64


def build_app(ctx: WebContext | None = None) -> gr.Blocks:
    """The Blocks app over ``ctx`` (by default from the FRONTLINE_* environment)."""
    ctx = ctx or WebContext.from_environment()
    ctx.warm_up()
    t = Texts("en")  # until the page loads and its language is known
    with gr.Blocks(title=t("app.title"), analytics_enabled=False) as demo:
        demo.frontline = ctx  # launch() reads the users file from here
        heading = gr.Markdown(t("app.heading"), elem_id="fl-heading")
        who_line = gr.HTML(elem_id="fl-banner")
        with gr.Tabs(elem_id="fl-tabs"):
            with gr.Tab(t("tab.practice"), id="practice", elem_id="fl-tab-practice") as p_tab:
                practice = PracticeView(ctx)
                practice.build()
            with gr.Tab(t("tab.history"), id="history", elem_id="fl-tab-history") as h_tab:
                history = HistoryView(ctx)
                history.build()
            with gr.Tab(
                t("tab.designer"), id="designer", elem_id="fl-tab-designer", visible=False
            ) as d_tab:
                designer = DesignerView(ctx)
                designer.build()
            with gr.Tab(
                t("tab.certification"),
                id="certification",
                elem_id="fl-tab-certification",
                visible=False,
            ) as c_tab:
                certification = CertificationView(ctx)
                certification.build()
            with gr.Tab(
                t("tab.cohort"), id="cohort", elem_id="fl-tab-cohort", visible=False
            ) as k_tab:
                cohort = CohortView(ctx)
                cohort.build()
        practice.wire()
        history.wire(h_tab)
        designer.wire()
        certification.wire(c_tab)
        cohort.wire(k_tab)
        d_tab.select(designer.refresh, [], [designer.browse], api_name=False)

        tabs = {p_tab: "practice", h_tab: "history", d_tab: "designer"}
        tabs |= {c_tab: "certification", k_tab: "cohort"}
        # Every other page's fixed words, relabelled with the practice page's.
        pages = [history, designer, certification, cohort]
        pages += [practice.scorecard, history.card]
        words = [heading, who_line, *tabs, *practice.label_outputs()]
        words += [c for page in pages for c in page.label_outputs()]

        def page_words(t: Texts, request: gr.Request, view: dict | None = None) -> dict:
            """The page's fixed words in ``t``'s language: heading, banner, tabs, practice."""
            who = viewer(ctx, request)
            # Trainer pages exist only for trainers; their handlers check the role too.
            shown = {p_tab: True, h_tab: True} | dict.fromkeys(
                (d_tab, c_tab, k_tab), who.can_design
            )
            return {
                heading: t("app.heading"),
                who_line: banner(ctx, who, t),
                **{
                    tab: gr.Tab(label=t(f"tab.{key}"), visible=shown[tab])
                    for tab, key in tabs.items()
                },
                **practice.labels(t, view),
                **{c: u for page in pages for c, u in page.labels(t).items()},
            }

        load_outputs = [*words, *practice.outputs()]

        def on_load(hints: bool, request: gr.Request) -> list:
            shown = practice.on_load(hints, request)
            # The words' updates carry the values the practice view gives (chat, reply).
            view = {**shown, **page_words(texts_for(ctx, request), request, shown)}
            return [view[o] for o in load_outputs]

        demo.load(on_load, [practice.hints], load_outputs, api_name=False)

        language_outputs = [*words, practice.persona, practice.rubric]
        language_outputs += [practice.card, practice.language_note]

        def choose_language(language: str, persona_id: str | None, request: gr.Request) -> list:
            """The picker: remember the user's language and say everything again in it."""
            who = viewer(ctx, request)
            t = Texts(language if language in dict(map(reversed, ui_languages())) else "en")
            ctx.store.set_ui_language(who.name, t.language)
            card, note = practice.show_card(persona_id, request)
            view = {**page_words(t, request), **practice.choices(t)}
            view |= {practice.card: card, practice.language_note: note}
            # The rubric stays what the trainee picked (choices() would reset it).
            view[practice.rubric] = gr.Dropdown(label=t("practice.rubric"))
            return [view[o] for o in language_outputs]

        practice.language.input(
            choose_language,
            [practice.language, practice.persona],
            language_outputs,
            api_name="language",
        )
    return demo


def launch(
    demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = None, block: bool = True
) -> None:
    """Serve the app: logins when a users file exists (or appears later), local single-user
    mode otherwise; the :class:`Gate` throttles logins and keeps downloads to their owner."""
    ctx: WebContext = demo.frontline
    # Queue-position estimates go to every client whenever any job ends ("auto"), which
    # grows with the square of the users; nobody queues at this concurrency, so send rarely.
    demo.queue(default_concurrency_limit=CONCURRENCY, status_update_rate=10)
    gr.set_static_paths([FONTS_DIR])  # the page's fonts come from here, not the internet
    checker = login_checker(ctx.users) if ctx.users is not None else None
    gate = [Middleware(Gate, ctx=ctx, checker=checker)] if checker is not None else []
    demo.launch(
        server_name=host,
        server_port=port,
        auth=None if ctx.local_mode else checker,
        app_kwargs={"middleware": gate},
        auth_message=login_note(NAME_LIMIT, int(FIRST_PAUSE)),
        theme=theme(),
        css=font_css() + CSS,
        footer_links=[],
        run_history=False,
        share=False,
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
        pwa=False,
        show_error=True,
        quiet=False,
        inbrowser=False,
        max_file_size="2mb",
        prevent_thread_lock=not block,
        allowed_paths=[],
        favicon_path=None,
        blocked_paths=[str(Path(ctx.store.path).resolve().parent)],
    )
