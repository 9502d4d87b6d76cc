#!/usr/bin/env python3
"""The PyTorch side of `heed bench layers`.

Usage: torch_layers.py --threads N --cases lstm,gru,mha,attention-1024,attention-4096

Builds the same layers as src/bench/layers.ts (same shapes, random weights and inputs, float32),
times forward + backward of sum(output * seed) (as out.backward(seed), which computes the same
gradients, parameter and input gradients included), and prints JSON lines on stdout:
  {"torch": "1.13.0", "threads": 2}                                 first, once
  {"case": "lstm", "shape": "...", "torchMs": 17.2, "runs": 40}     one per case
  {"case": "attention-4096", "torchPeakMB": 805.2}                  memory, after all timings
  {"case": "...", "error": "..."}                                   a case that failed
If torch cannot be imported it prints {"error": "..."} and exits with status 3.

Timing mirrors src/bench/timing.ts: warm-up runs, then repeat until a time budget is spent (at
least a minimum number of runs), report the median (and the fastest run, minMs).

Peak memory (attention cases) is measured in a child process (`--memory`) started with
MALLOC_MMAP_THRESHOLD_=65536, so glibc maps every large buffer on its own and unmaps it when
freed; without that, freed heap chunks get recycled and RSS growth says little. In the child,
after one warm-up run: write 5 to /proc/self/clear_refs (Linux resets VmHWM to the current RSS),
read VmRSS, run forward + backward once, read VmHWM; the difference is the peak extra memory.
PyTorch's CPU allocator keeps no cache of its own. The setting slows every allocation, which is
why timings never run in that child.

The caller sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS as well as passing
--threads (torch.set_num_threads alone leaves OpenBLAS on its own thread count).
"""

import argparse
import os
import subprocess
import gc
import json
import math
import re
import statistics
import sys
import time

# The shapes, as in src/bench/layers.ts.
RNN = {"batch": 32, "seq": 20, "input": 64, "hidden": 256}
MHA = {"batch": 8, "seq": 128, "embed": 256, "heads": 4}
ATTN = {"batch": 1, "heads": 4, "head_dim": 64}


def emit(obj):
    print(json.dumps(obj), flush=True)


def time_it(fn, budget_ms, min_runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start) * 1000 < budget_ms:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[0], len(times)


def _status_kb(key):
    with open("/proc/self/status") as f:
        m = re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) if m else None


def peak_growth_mb(fn):
    """Peak RSS growth during fn() in MB (1e6 bytes), or None where VmHWM cannot be reset."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base = _status_kb("VmRSS")
    except OSError:
        return None
    fn()
    peak = _status_kb("VmHWM")
    if base is None or peak is None:
        return None
    return (peak - base) * 1024 / 1e6


def recurrent_case(torch, name):
    torch.manual_seed(0)
    b, t, i, h = RNN["batch"], RNN["seq"], RNN["input"], RNN["hidden"]
    cls = torch.nn.LSTM if name == "lstm" else torch.nn.GRU
    layer = cls(i, h, batch_first=True)
    x = torch.randn(b, t, i, requires_grad=True)
    seed = torch.randn(b, t, h)

    def step():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = layer(x)  # [B, T, H]
        out.backward(seed)

    ms, min_ms, runs = time_it(step, budget_ms=2000, min_runs=5, warmup=2)
    shape = f"B={b} T={t} I={i} H={h}"
    return {"case": name, "shape": shape, "torchMs": ms, "minMs": min_ms, "runs": runs}


def mha_case(torch):
    torch.manual_seed(0)
    b, t, d, heads = MHA["batch"], MHA["seq"], MHA["embed"], MHA["heads"]
    mha = torch.nn.MultiheadAttention(d, heads, batch_first=True)
    x = torch.randn(b, t, d, requires_grad=True)
    seed = torch.randn(b, t, d)

    def step():
        mha.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = mha(x, x, x, need_weights=False)  # [B, T, D]
        out.backward(seed)

    ms, min_ms, runs = time_it(step, budget_ms=2000, min_runs=5, warmup=2)
    shape = f"B={b} T={t} D={d} heads={heads}"
    return {"case": "mha", "shape": shape, "torchMs": ms, "minMs": min_ms, "runs": runs}


def attention_case(torch, seq, memory):
    """softmax(q·kᵀ/√d)·v written out: torch 1.13 has no fused attention on the CPU."""
    torch.manual_seed(0)
    shape = [ATTN["batch"], ATTN["heads"], seq, ATTN["head_dim"]]
    q, k, v = (torch.randn(*shape, requires_grad=True) for _ in range(3))
    seed = torch.randn(*shape)
    scale = 1 / math.sqrt(ATTN["head_dim"])

    def step():
        q.grad = k.grad = v.grad = None
        weights = torch.softmax((q @ k.transpose(-2, -1)) * scale, dim=-1)  # [B, H, T, T]
        (weights @ v).backward(seed)  # context [B, H, T, hs]

    name = f"attention-{seq}"
    if memory:
        step()  # warm-up: lazy initialisation stays out of the measurement
        q.grad = k.grad = v.grad = None
        return {"case": name, "torchPeakMB": peak_growth_mb(step)}
    # T = 4096 takes seconds a run: the minimum only.
    budget, min_runs = (0, 3) if seq > 2048 else (1500, 5)
    ms, min_ms, runs = time_it(step, budget_ms=budget, min_runs=min_runs, warmup=1)
    shape_text = str(shape).replace(" ", "")
    return {"case": name, "shape": shape_text, "torchMs": ms, "minMs": min_ms, "runs": runs}


def run_case(torch, name, memory):
    m = re.fullmatch(r"attention-(\d+)", name)
    if m:
        return attention_case(torch, int(m.group(1)), memory)
    if memory:
        raise ValueError(f"no memory measurement for '{name}'")
    if name in ("lstm", "gru"):
        return recurrent_case(torch, name)
    if name == "mha":
        return mha_case(torch)
    raise ValueError(f"unknown case '{name}'")


def relay_memory(cases, threads):
    """Runs the memory child for `cases` and prints its case lines."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    args = ["--memory", "--threads", str(threads), "--cases", ",".join(cases)]
    child = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    for line in child.stdout.splitlines():
        if line.startswith('{"case"'):
            print(line, flush=True)
    if child.returncode != 0:
        tail = child.stderr.strip().splitlines()[-1:] or [f"exit status {child.returncode}"]
        for name in cases:
            emit({"case": name, "memoryError": tail[0]})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--cases", required=True, help="comma-separated case names")
    parser.add_argument("--memory", action="store_true", help="measure peak memory only")
    args = parser.parse_args()
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means "no torch"
        emit({"error": f"import torch failed: {e}"})
        return 3
    torch.set_num_threads(args.threads)
    cases = args.cases.split(",")
    if not args.memory:
        emit({"torch": torch.__version__, "threads": torch.get_num_threads()})
    for name in cases:
        try:
            emit(run_case(torch, name, args.memory))
        except Exception as e:  # noqa: BLE001 - report and go on with the other cases
            emit({"case": name, "error": f"{type(e).__name__}: {e}"})
    attention = [c for c in cases if c.startswith("attention-")]
    if attention and not args.memory:
        relay_memory(attention, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
