"""The look: a gradio theme whose fonts the app serves itself (nothing fetched from the
internet) and the CSS for persona cards, the mood meter and the scorecard.

Noto Sans (Latin and Cyrillic) and Noto Sans SC (Chinese) ship in ``fonts/`` as woff2
slices with ``unicode-range``: a page downloads only the slices its text uses, from this
server, so Chinese and Cyrillic render the same on a machine with no such fonts."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
SHIPPED_SANS = ["Noto Sans", "Noto Sans SC"]
SYSTEM_SANS = [
    "ui-sans-serif",
    "system-ui",
    "Segoe UI",
    "Roboto",
    "Helvetica",
    "Arial",
    "sans-serif",
]
# The same stack as a CSS value, for HTML the app shows but did not style (the report frame).
REPORT_FONTS = ", ".join(f'"{f}"' if " " in f else f for f in [*SHIPPED_SANS, *SYSTEM_SANS])
# Tables (gradio's Dataframe) use the mono stack: the shipped fonts come before the generic
# family so that a Chinese or Cyrillic cell finds its glyphs there, not as empty boxes.
SYSTEM_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas"]


def theme() -> gr.themes.Base:
    """The app's theme; plain font names, so the browser uses what it has."""
    return gr.themes.Soft(
        primary_hue="teal",
        secondary_hue="amber",
        neutral_hue="slate",
        font=[*SHIPPED_SANS, *SYSTEM_SANS],
        font_mono=[*SYSTEM_MONO, *SHIPPED_SANS, "monospace"],
    )


def font_css() -> str:
    """The @font-face rules of the shipped fonts, pointing at this server's copy of them
    (gradio serves a folder passed to ``gr.set_static_paths`` at ``/gradio_api/file=``)."""
    rules = (FONTS_DIR / "fonts.css").read_text(encoding="utf-8")
    return rules.replace("{root}", f"/gradio_api/file={FONTS_DIR.as_posix()}")


CSS = """
#fl-persona-cards .wrap { display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); }
#fl-persona-cards label { align-items: flex-start; padding: 10px 12px; min-height: 64px;
  border: 1px solid var(--border-color-primary); border-radius: 10px; line-height: 1.35; }
#fl-persona-cards label.selected { border-color: var(--color-accent); box-shadow: 0 0 0 2px
  var(--color-accent-soft); }
.fl-card { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 12px 16px; }
.fl-card.fl-empty { color: var(--body-text-color-subdued); }
.fl-card-name { font-size: 1.1em; font-weight: 600; }
.fl-card-name small { font-weight: 400; color: var(--body-text-color-subdued); }
.fl-tags { margin: 6px 0; }
.fl-tag { display: inline-block; font-size: .8em; padding: 1px 8px; margin: 0 4px 4px 0;
  border-radius: 999px; background: var(--color-accent-soft); }
.fl-brief { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 10px;
  margin-bottom: 8px; font-size: .9em; }
.fl-brief summary { font-weight: 600; cursor: pointer; }
.fl-brief-lines { margin: 6px 0 4px 1em; padding: 0; }
.fl-brief-note { margin: 4px 0 0; color: var(--body-text-color-subdued); font-size: .9em; }
.fl-meter { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px; }
.fl-meter-title { font-weight: 600; margin-bottom: 6px; }
.fl-meter-row { display: grid; grid-template-columns: 64px 1fr 30px 34px; align-items: center;
  gap: 6px; margin: 4px 0; font-size: .9em; }
.fl-meter-track { height: 10px; background: var(--neutral-200); border-radius: 5px;
  overflow: hidden; display: block; }
.fl-meter-fill { display: block; height: 100%; transition: width .4s; }
.fl-meter-delta { color: var(--body-text-color-subdued); font-size: .85em; }
.fl-meter-why { margin-top: 6px; font-size: .85em; color: var(--body-text-color-subdued); }
/* The conversation is the session's record: it cannot be cleared from the page. */
#fl-chat button[aria-label="Clear"], #fl-design-chat button[aria-label="Clear"] { display: none; }
#fl-problems ul { margin: 0; padding-left: 18px; }
#fl-problems li { color: #b42318; }
#fl-problems .fl-ok { color: #3c9d5d; }
/* The calibration matrix has a dozen columns: headers stay whole words on one line and the
   table scrolls sideways on a narrow screen instead of breaking "resolved" mid-word. */
#fl-calibration-matrix table { display: block; overflow-x: auto; max-width: 100%; }
#fl-calibration-matrix th { white-space: nowrap; word-break: keep-all; overflow-wrap: normal; }
#fl-calibration-matrix td { overflow-wrap: normal; word-break: normal; }
.fl-cohort-scroll { overflow-x: auto; max-width: 100%; }
.fl-cohort-table { border-collapse: collapse; font-size: .92em; }
.fl-cohort-table th, .fl-cohort-table td { padding: 4px 10px; text-align: left;
  border-bottom: 1px solid var(--border-color-primary); }
.fl-cohort-table th, .fl-cohort-table td:not(:first-child) { white-space: nowrap; }
#fl-cohort .fl-note { color: var(--body-text-color-subdued); font-size: .9em; }
/* Trainee pages on every width (issue 16). The chat's label sits above the messages, not
   over them, so a scrolled conversation never runs under it. */
#fl-chat label[data-testid=block-label], #fl-design-chat label[data-testid=block-label] {
  position: static; margin: 0 0 6px 0;
  width: max-content; }
/* Gradio folds tabs that do not fit into a "…" menu, measuring them in a hidden copy; with
   the copy out of the layout every tab stays in the bar, which wraps on a narrow screen. */
#fl-tabs .tab-container.visually-hidden { display: none; }
#fl-tabs .tab-container[role=tablist] { flex-wrap: wrap; height: auto; }
#fl-tabs .overflow-menu { display: none; }
/* On a phone the reply box takes the whole width and the buttons go under it. */
@media (max-width: 640px) {
  #fl-reply-row { flex-direction: column; }
  #fl-reply-row > * { width: 100%; min-width: 0 !important; }
  #fl-reply-buttons { flex-direction: row; }
}
/* The scorecard's replay panel (replay_view.py). */
.fl-replay { border: 1px dashed var(--border-color-primary); border-radius: 12px;
  padding: 10px 14px; margin: 8px 0; }
.fl-replay-tag { display: inline-block; font-size: .75em; font-weight: 700; padding: 1px 8px;
  border-radius: 999px; background: #fff4d6; color: #7a5200; margin-right: 6px; }
.fl-replay-sides { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr));
  gap: 10px; margin-top: 8px; }
.fl-replay-side { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 8px 12px; min-width: 0; overflow-wrap: anywhere; }
.fl-replay-side h4 { margin: 0 0 6px 0; }
.fl-replay-side[data-side=replay] { border-color: #e0b84d; }
.fl-replay-line { margin: 4px 0; }
.fl-replay-who { font-weight: 600; }
.fl-replay-mood, .fl-replay-why, .fl-replay-score { font-size: .9em; margin: 4px 0; }
.fl-replay-why { color: var(--body-text-color-subdued); }
.fl-replay-broke { font-size: .9em; margin: 4px 0; color: #b42318; }
/* What the language picker says about the chosen customer (language_view.py). */
.fl-lang-note { margin: 4px 0; font-size: .92em; }
.fl-lang-note[data-ok=false] { padding: 6px 10px; border-radius: 8px; background: #fff4d6;
  color: #7a5200; border: 1px solid #e0b84d; }
.fl-replay-changed { margin: 8px 0 0 0; padding-left: 18px; font-size: .9em; }
"""
