"""Run every benchmark: `python bench/run_all.py [NAME ...] [--timeout SECONDS]` (also `make bench`).

A benchmark is a bench/*.py script with a `__main__` block, not starting with `_` (helpers and
settings modules are skipped). Each runs in its own process with the caller's environment
(DATABASE_URL, CELERY_BROKER_URL…), is stopped after --timeout seconds, and has its output
shown as it comes; a summary with the machine, each script's status, time and last line ends
the run. Exit status: 0 when every script succeeded."""

import argparse
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "600"))
MAIN_BLOCK = re.compile(r"^if __name__ == ['\"]__main__['\"]:", re.M)


def benchmarks():
    return sorted(
        path for path in BENCH.glob("*.py")
        if not path.name.startswith("_") and path.name != Path(__file__).name and MAIN_BLOCK.search(path.read_text())
    )


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = "/".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, load {load}, Python {platform.python_version()}"


def run(path, timeout):
    """Run one script, echoing its output; returns (status, seconds, last non-empty line)."""
    print(f"\n=== {path.name} ===", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        bufsize=1, start_new_session=True,
    )
    lines = []

    def pump():
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.strip():
                lines.append(line.strip())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout)
        status = "ok" if code == 0 else f"exit {code}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        status = f"timeout ({timeout} s)"
    reader.join(5)
    return status, time.monotonic() - started, (lines[-1] if lines else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these benchmarks (e.g. seatmap expiry_sweep)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per benchmark")
    args = parser.parse_args()
    scripts = benchmarks()
    if args.names:
        wanted = {name.removesuffix(".py") for name in args.names}
        scripts = [path for path in scripts if path.stem in wanted]
        missing = wanted - {path.stem for path in scripts}
        if missing:
            parser.error(f"no such benchmark: {', '.join(sorted(missing))}")
    started_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"benchmarks: {', '.join(p.name for p in scripts)}\nmachine: {machine()}", flush=True)

    results = [(path.name, *run(path, args.timeout)) for path in scripts]

    print(f"\n=== summary ({started_at}; {machine()}) ===")
    width = max((len(name) for name, *_ in results), default=10)
    for name, status, seconds, last in results:
        print(f"{name:<{width}}  {status:<14} {seconds:7.1f} s  {last[:150]}")
    failed = [name for name, status, *_ in results if status != "ok"]
    print(f"{len(results) - len(failed)} succeeded, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
