#!/usr/bin/python3
"""PyTorch reference for bench/tiny-bert.mjs: the same BERT-style classifier (token +
position embeddings, post-LayerNorm encoder layers, erf GELU, tanh pooler, linear
classifier), sizes and Adam step, timed on the CPU with a fixed thread count.

Optional, not part of CI. Debian: apt-get install python3-torch libopenblas0-pthread
(without OpenBLAS, Debian's torch links the reference BLAS and runs ~20x slower), then
  /usr/bin/python3 bench/tiny_bert_torch.py --threads 1
Prints one JSON line: {"torch", "threads", "blas", "train_ms", "best_ms", "cpu_ms",
"inference_ms", "loss"}.
"""
import argparse
import json
import math
import os
import sys
import time

# OpenBLAS sizes its own thread pool when it loads: set it before torch is imported.
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
os.environ["OPENBLAS_NUM_THREADS"] = _threads
os.environ["OMP_NUM_THREADS"] = _threads

import torch  # noqa: E402
from torch import nn  # noqa: E402

CFG = dict(vocab=8000, hidden=256, layers=4, heads=4, ffn=1024, seq=64, batch=32, classes=2)


class Layer(nn.Module):
    def __init__(self, h, heads, ffn):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.out = nn.Linear(h, h)
        self.ln1 = nn.LayerNorm(h, eps=1e-12)
        self.up = nn.Linear(h, ffn)
        self.down = nn.Linear(ffn, h)
        self.ln2 = nn.LayerNorm(h, eps=1e-12)

    def forward(self, x):
        b, t, h = x.shape
        d = h // self.heads

        def split(y):
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        probs = torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(d)), dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(b, t, h)
        x = self.ln1(x + self.out(ctx))
        return self.ln2(x + self.down(nn.functional.gelu(self.up(x))))


class TinyBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.words = nn.Embedding(c["vocab"], c["hidden"])
        self.positions = nn.Embedding(c["seq"], c["hidden"])
        self.ln = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.layers = nn.ModuleList(Layer(c["hidden"], c["heads"], c["ffn"]) for _ in range(c["layers"]))
        self.pooler = nn.Linear(c["hidden"], c["hidden"])
        self.classifier = nn.Linear(c["hidden"], c["classes"])
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids):
        x = self.ln(self.words(ids) + self.positions.weight)
        for layer in self.layers:
            x = layer(x)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


def timed_ms(fn, warmup, iters):
    """(median, best, least CPU time) of `iters` runs after `warmup` untimed ones, in ms."""
    for _ in range(warmup):
        fn()
    samples = []
    cpu = []
    for _ in range(iters):
        t0 = time.perf_counter()
        c0 = time.process_time()
        fn()
        cpu.append((time.process_time() - c0) * 1000)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[0], min(cpu)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = TinyBert(CFG)
    ids = torch.randint(0, CFG["vocab"], (CFG["batch"], CFG["seq"]))
    labels = torch.randint(0, CFG["classes"], (CFG["batch"],))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_value = [0.0]

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(ids), labels)
        loss.backward()
        opt.step()
        loss_value[0] = loss.item()

    train, best, cpu = timed_ms(step, 1, a.steps)
    with torch.no_grad():
        infer, _, _ = timed_ms(lambda: model(ids), 1, 10)
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    print(json.dumps(dict(torch=torch.__version__, threads=a.threads, blas=blas, train_ms=train,
                          best_ms=best, cpu_ms=cpu, inference_ms=infer, loss=loss_value[0])))


if __name__ == "__main__":
    main()
