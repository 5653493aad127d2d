"""Certification runs: grade a cohort's transcripts against an exam, at scale, auditably.

- :mod:`.exam`: the exam file format (``rubrics/exams/*.yaml``) and its loader;
- :mod:`.plan` / :mod:`.runner`: build and run a certification (parallel rule grading,
  a thread pool for the judge, resumable through :mod:`.results_store`);
  :func:`.runner.start_run` and :func:`.runner.run_status` are the web UI's API;
- :mod:`.report`, :mod:`.report_html`, :mod:`.certificate`: the files a run writes;
- :mod:`.stamps` and :mod:`.verify`: hashes on every result and ``certify --verify``;
- :mod:`.batch_api`: the judge through the OpenAI Batch API, for very large runs.

See docs/certification.md.
"""
