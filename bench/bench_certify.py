"""Benchmark certification runs end to end; prints figures for docs/benchmarks.md.

    python bench/bench_certify.py rules [--n 10000]     # rule grading + reports
    python bench/bench_certify.py judge [--n 1000] [--latency 0.2] [--concurrency 32]
    python bench/bench_certify.py scale [--n 100000] [--workers 1 2] [--inputs DIR]

``scale`` writes N twenty-turn transcripts (10 agent turns) and runs ``frontline certify``
(rule grading and every report) once per ``--workers`` value, each into a fresh folder,
sampling the resident memory of the whole process tree (the run and its worker
processes) ten times a second; it prints time, transcripts/s, the peak tree RSS and the
results store's bytes per transcript, with the machine (cores, CPU, load average).
``--inputs DIR`` keeps the generated transcripts there and reuses them next time.

``rules`` writes N synthetic transcripts for the shipped ``foundation`` exam and times
``frontline certify`` (a subprocess, start-up included) until every report is written;
then times the rerun that has nothing to do and ``--verify``.

``judge`` starts the fake OpenAI-compatible server with a fixed latency per call, runs a
judged certification of N transcripts at the given concurrency, and compares the wall
time with the ideal: calls x latency / concurrency.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from certify_support import persona_hashes, write_transcripts  # noqa: E402


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def bench_rules(n: int) -> None:
    from simulator.certification.exam import ExamLibrary

    exam = ExamLibrary().get("foundation")
    # Cold: no vectors kept on disk by an earlier run.
    env = dict(os.environ, PYTHONPATH=str(ROOT), FRONTLINE_EMBEDDINGS="off")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        write_transcripts(tmp_path / "in", n, persona_hashes(ROOT / "personas", exam.personas))
        made = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (tmp_path / "in").iterdir())
        cmd = [
            sys.executable,
            "-m",
            "simulator",
            "certify",
            "foundation",
            "--transcripts",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ]
        elapsed, out = _timed(cmd, env)
        rerun, out2 = _timed(cmd, env)
        verify, _ = _timed(
            [sys.executable, "-m", "simulator", "certify", "--verify", str(tmp_path / "out")], env
        )
        phases = _phases(exam, tmp_path / "in", tmp_path / "again")
        reports = sum(
            p.stat().st_size
            for p in (tmp_path / "out").rglob("*")
            if p.is_file() and "sqlite" not in p.name
        )
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"transcripts: {n} ({size / 1e6:.1f} MB, generated in {made:.1f} s)")
    print(f"certify (rule grading + reports): {elapsed:.1f} s = {n / elapsed:,.0f} transcripts/s")
    print(f"  {out.strip().splitlines()[1] if len(out.splitlines()) > 1 else out.strip()}")
    print(f"  reports: {reports / 1e6:.1f} MB")
    print(f"rerun with nothing to do: {rerun:.1f} s")
    print(f"certify --verify (re-grade all, compare stamps and reports): {verify:.1f} s")
    print(
        "in-process split of a fresh run: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
    )


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(c) for c in fh.read().split()]
    except OSError:  # the process ended while we looked
        pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss(pid: int) -> tuple[int, int]:
    """(sum of the RSS of ``pid`` and all its descendants, how many processes), in KiB.
    Pages a forked worker shares with its parent count twice, so this errs high."""
    total, count, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        total += _rss_kib(p)
        count += 1
        todo += _children(p)
    return total, count


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            lines = fh.read().splitlines()
        for line in lines:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def _measured_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, int, str]:
    """Run ``cmd``; return wall seconds, CPU seconds of the whole tree, peak tree RSS
    (KiB), most processes seen, stdout."""
    import resource
    import threading

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, procs = [0], [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            rss, count = _tree_rss(proc.pid)
            peak[0], procs[0] = max(peak[0], rss), max(procs[0], count)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out}\n{err}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, peak[0], procs[0], out


def bench_scale(n: int, workers: list[int], inputs: Path | None) -> None:
    from simulator.certification.exam import ExamLibrary

    exam = ExamLibrary().get("foundation")
    # Cold: no vectors kept on disk by an earlier run.
    env = dict(os.environ, PYTHONPATH=str(ROOT), FRONTLINE_EMBEDDINGS="off")
    print(
        f"machine: {os.cpu_count()} cores ({_cpu_model()}), Python "
        f"{sys.version.split()[0]}, load average {_load()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = inputs or Path(tmp) / "in"
        marker = folder / f".complete-{n}"
        start = time.perf_counter()
        if not marker.exists():
            write_transcripts(
                folder, n, persona_hashes(ROOT / "personas", exam.personas), agent_turns=10
            )
            marker.touch()
        made = time.perf_counter() - start
        size = sum(e.stat().st_size for e in os.scandir(folder) if e.name.endswith(".json"))
        print(
            f"transcripts: {n} of 20 turns, {size / 1e6:.1f} MB "
            f"({size / n:,.0f} bytes each; ready in {made:.1f} s)"
        )
        times = {}
        for w in workers:
            out_dir = Path(tmp) / f"out-{w}"
            cmd = [
                sys.executable,
                "-m",
                "simulator",
                "certify",
                "foundation",
                "--transcripts",
                str(folder),
                "--out",
                str(out_dir),
                "--quiet",
                "--workers",
                str(w),
            ]
            load = _load()
            elapsed, cpu, peak, procs, out = _measured_run(cmd, env)
            store = sum(p.stat().st_size for p in out_dir.glob("results.sqlite3*"))
            reports = sum(
                p.stat().st_size
                for p in out_dir.rglob("*")
                if p.is_file() and "sqlite" not in p.name
            )
            times[w] = elapsed
            cohort = next((line for line in out.splitlines() if "candidates:" in line), "")
            print(
                f"--workers {w}: {elapsed:.1f} s = {n / elapsed:,.0f} transcripts/s "
                f"(CPU of the tree {cpu:.1f} s); "
                f"peak RSS of the process tree {peak / 1024:.0f} MiB ({procs} processes); "
                f"store {store / n:,.0f} bytes/transcript ({store / 1e6:.1f} MB); "
                f"reports {reports / 1e6:.1f} MB; load average before {load}, after "
                f"{_load()}"
            )
            print(f"  {cohort}")
        if len(workers) > 1:
            first = times[workers[0]]
            print(
                "speed-up over --workers "
                + str(workers[0])
                + ": "
                + ", ".join(f"{w} workers {first / times[w]:.2f}x" for w in workers[1:])
            )
            same = _same_reports([Path(tmp) / f"out-{w}" for w in workers])
            print(f"reports byte-identical across worker counts: {same}")


def _same_reports(dirs: list[Path]) -> bool:
    def files(d: Path) -> dict[str, Path]:
        return {
            str(p.relative_to(d)): p
            for p in d.rglob("*")
            if p.is_file() and "sqlite" not in p.name and p.name != "run.lock"
        }

    first = files(dirs[0])
    for other in dirs[1:]:
        theirs = files(other)
        if set(theirs) != set(first):
            return False
        if any(p.read_bytes() != theirs[name].read_bytes() for name, p in first.items()):
            return False
    return True


def _phases(exam, inputs: Path, out: Path) -> dict[str, float]:
    """Where a run's time goes: reading inputs, rule grading, writing reports."""
    from simulator.certification.plan import plan_run
    from simulator.certification.runner import run
    from simulator.certification.sources import file_sources

    marks: dict[str, float] = {}
    t0 = time.perf_counter()
    sources = file_sources([inputs])
    t1 = time.perf_counter()
    run(plan_run(exam, out), sources, lambda p: marks.setdefault(p.phase, time.perf_counter()))
    t2 = time.perf_counter()
    return {
        "reading": t1 - t0,
        "registering": marks["grading"] - t1,
        "grading": marks["reports"] - marks["grading"],
        "reports": t2 - marks["reports"],
    }


@contextmanager
def _server_process(latency: float):
    """The fake judge server in its own process, as a real server farm would be: its work
    must not compete with the client for this process's interpreter lock."""
    import multiprocessing as mp

    from certify_support import judge_reply, nodelay_server

    def serve(conn) -> None:
        with nodelay_server(default=judge_reply(delay=latency)) as srv:
            conn.send(srv.base_url)
            conn.recv()  # any message: report the count and stop
            conn.send(len(srv.chat_requests()))

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(child,), daemon=True)
    proc.start()
    base_url = parent.recv()
    counted: list[int] = []

    def calls() -> int:
        if not counted:
            parent.send("stop")
            counted.append(parent.recv())
        return counted[0]

    try:
        yield base_url, calls
    finally:
        calls()
        proc.join(10)


def bench_judge(n: int, latency: float, concurrency: int) -> None:
    from simulator.certification.exam import ExamLibrary
    from simulator.certification.plan import plan_run
    from simulator.certification.runner import run
    from simulator.certification.sources import file_sources

    base = ExamLibrary().get("foundation")
    # The shipped foundation exam is rules-only; the bench lets the judge take part, once
    # per question, so the figure is about the pool and not about sampling.
    exam = base.model_copy(
        update={
            "judge": base.judge.model_copy(
                update={"participation": "optional", "samples": 1, "concurrency": concurrency}
            )
        }
    )
    with tempfile.TemporaryDirectory() as tmp, _server_process(latency) as (base_url, calls_of):
        tmp_path = Path(tmp)
        for name, value in {
            "MODEL": "fake-judge",
            "BASE_URL": base_url,
            "KIND": "vllm",
            "TIMEOUT": "30",
        }.items():
            os.environ[f"FRONTLINE_LLM_{name}"] = value
        write_transcripts(tmp_path / "in", n, persona_hashes(ROOT / "personas", exam.personas))
        plan = plan_run(exam, tmp_path / "out", use_judge=True)
        marks: dict[str, float] = {}

        def progress(p) -> None:
            marks.setdefault(p.phase, time.perf_counter())

        start = time.perf_counter()
        summary = run(plan, file_sources([tmp_path / "in"]), progress)
        end = time.perf_counter()
        calls = calls_of()
    judging = marks["reports"] - marks["judging"]
    ideal = calls * latency / concurrency
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"judged transcripts: {summary.counts['judged']} of {n} "
        f"({summary.counts['needs_review']} need review)"
    )
    print(f"judge calls: {calls}, {latency * 1000:.0f} ms each, concurrency {concurrency}")
    print(f"judge phase: {judging:.2f} s; ideal {ideal:.2f} s; ratio {judging / ideal:.3f}")
    print(f"end to end (rule grading + judge + reports): {end - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["rules", "judge", "scale"])
    parser.add_argument("--n", type=int)
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="scale: the worker counts to run (default: 1 2)",
    )
    parser.add_argument("--inputs", type=Path, help="scale: keep the transcripts here")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if args.what == "rules":
        bench_rules(args.n or 10_000)
    elif args.what == "scale":
        bench_scale(args.n or 100_000, args.workers, args.inputs)
    else:
        bench_judge(args.n or 1000, args.latency, args.concurrency)


if __name__ == "__main__":
    main()
