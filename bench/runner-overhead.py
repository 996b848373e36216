"""Measures what `runner run` adds to one run of a trivial program.

Each iteration runs the program directly and through the runner (a one-test job, no compile
step), in alternating order, from the same Python process, so the cost of spawning from here
is the same on both sides and cancels out. The overhead is the median of the per-iteration
differences; every runner result is checked, so a broken runner cannot look fast.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

TRIVIAL_C = "int main(void) { return 0; }\n"
TARGET_MS = 5.0
# In a sandbox pod the runner never runs as root. When this benchmark is started as root it
# measures as this otherwise unused uid too (the same one the runner's tests use).
SANDBOX_UID = 64123


def timed(argv, uid):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                          user=uid, group=uid, extra_groups=[] if uid is not None else None)
    return (time.perf_counter() - start) * 1000.0, proc


def measure(direct_argv, runner_argv, iterations, uid):
    """Median and p90 of per-iteration differences, plus each side's median (milliseconds)."""
    for _ in range(10):  # warm the page cache and the binaries
        timed(direct_argv, uid)
        timed(runner_argv, uid)
    direct, through, diffs = [], [], []
    for i in range(iterations):
        order = [("direct", direct_argv), ("runner", runner_argv)]
        if i % 2:
            order.reverse()
        got = {}
        for name, argv in order:
            ms, proc = timed(argv, uid)
            got[name] = ms
            if name == "runner":
                res = json.loads(proc.stdout)
                test = res["tests"][0]
                if proc.returncode != 0 or res["error"] is not None or test["exitCode"] != 0:
                    raise SystemExit(f"runner run failed: {proc.stdout!r} {proc.stderr!r}")
            elif proc.returncode != 0:
                raise SystemExit("the trivial program failed")
        direct.append(got["direct"])
        through.append(got["runner"])
        diffs.append(got["runner"] - got["direct"])
    diffs.sort()
    return {
        "directMedianMillis": round(statistics.median(direct), 3),
        "runnerMedianMillis": round(statistics.median(through), 3),
        "overheadMedianMillis": round(statistics.median(diffs), 3),
        "overheadP90Millis": round(diffs[int(len(diffs) * 0.9)], 3),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="runner-bench-")
    try:
        src = os.path.join(tmp, "trivial.c")
        prog = os.path.join(tmp, "trivial")
        with open(src, "w") as f:
            f.write(TRIVIAL_C)
        subprocess.run(["gcc", "-O2", "-o", prog, src], check=True)
        workdir = os.path.join(tmp, "work")
        os.mkdir(workdir)
        job = os.path.join(tmp, "job.json")
        with open(job, "w") as f:
            json.dump({
                "run": {"command": [prog]},
                "tests": [{"name": "t", "stdin": ""}],
                "limits": {"cpuTimeMillis": 1000, "wallTimeMillis": 5000, "memoryMiB": 256,
                           "outputBytes": 65536, "processes": 16, "fileSizeBytes": 1048576},
            }, f)
        direct_argv = [prog]
        runner = os.path.join(tmp, "runner")
        shutil.copy(args.runner, runner)
        runner_argv = [runner, "run", "--workdir", workdir, job]
        os.chmod(tmp, 0o755)

        runs = {}
        if os.geteuid() == 0:
            os.chown(workdir, SANDBOX_UID, SANDBOX_UID)
            runs[f"uid {SANDBOX_UID} (non-root, as in a sandbox pod)"] = measure(direct_argv, runner_argv, args.iterations, SANDBOX_UID)
            os.chown(workdir, 0, 0)
            runs["root"] = measure(direct_argv, runner_argv, args.iterations, None)
        else:
            runs[f"uid {os.geteuid()}"] = measure(direct_argv, runner_argv, args.iterations, None)
        headline = next(iter(runs.values()))

        report = {
            "benchmark": "runner-overhead",
            "description": "median extra wall time of `runner run` (one test, no compile) over exec'ing the same trivial C program directly",
            "command": "npm run bench:runner  (bash bench/runner-overhead.sh)",
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                        "loadAverage1m": round(os.getloadavg()[0], 2)},
            "iterations": args.iterations,
            "user": next(iter(runs)),
            **headline,
            "targetMillis": TARGET_MS,
            "withinTarget": headline["overheadMedianMillis"] < TARGET_MS,
            "runs": runs,
        }
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
