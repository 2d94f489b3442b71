#!/usr/bin/env python3
"""Precompute a PyTorch / Hugging Face teacher's outputs for @kd/losses.

Runs the teacher once over a transfer set and writes the features a kd
distillation needs as safetensors shards plus ``index.json`` -- the layout
``ShardedTeacherOutputs`` streams from and ``teacher: { outputs: dir }`` in a
``distill`` recipe reads. Use it when the teacher is too large for the machine
the student trains on: run this where the teacher fits (a GPU box), copy the
directory, distil anywhere.

    pip install torch transformers safetensors
    python export_teacher_outputs.py \
        --model gpt2 --tokens tokens.jsonl --out teacher-outputs \
        --features logits hidden.0 hidden.6 hidden.12 attentions.6 attentions.12 \
        --shard-size 1024 --dtype F16

``tokens.jsonl`` is the same file the recipe's ``data: { kind: tokens, path }``
reads: one JSON array of token ids (or ``{"input_ids": [...],
"attention_mask": [...]}``) per line, all of one length. Row i of the outputs
is line i.

Feature keys and layer numbers are kd's: ``logits``; ``hidden.L`` for
``hidden_states[L]`` (0 = embeddings output, L = output of block L, as
``output_hidden_states=True`` returns them); ``attentions.L`` for block L's
attention probabilities (``output_attentions=True``, 1-based). Pre-softmax
scores, queries, keys and values are not exposed by transformers' outputs;
compute those with @kd/nn's taps instead.

Not run in CI: it needs torch and a model download.
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForSequenceClassification

FORMAT = "kd-teacher-outputs/1"


def read_rows(path):
    ids, masks = [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if isinstance(row, list):
                row = {"input_ids": row}
            ids.append(row["input_ids"])
            masks.append(row.get("attention_mask") or [1] * len(row["input_ids"]))
            if len(ids[-1]) != len(ids[0]):
                raise SystemExit(f"{path}:{n}: every row needs {len(ids[0])} ids (pad them)")
    return torch.tensor(ids), torch.tensor(masks)


def load(name, head):
    cls = {"causal-lm": AutoModelForCausalLM, "sequence-classification": AutoModelForSequenceClassification, "base": AutoModel}[head]
    model = cls.from_pretrained(name, attn_implementation="eager")  # eager: attention probabilities are returned
    return model.eval()


def model_shape(config, logits):
    layers = config.num_hidden_layers
    heads = config.num_attention_heads
    kv = getattr(config, "num_key_value_heads", None) or heads
    width = config.hidden_size
    head_dim = getattr(config, "head_dim", None) or width // heads
    return {
        "layers": layers,
        "hiddenSizes": [width] * (layers + 1),
        "heads": [heads] * layers,
        "kvHeads": [kv] * layers,
        "headDims": [head_dim] * layers,
        "outputSize": logits.shape[-1],
        "outputRank": logits.dim(),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a Hugging Face model id or directory")
    p.add_argument("--head", default="causal-lm", choices=["causal-lm", "sequence-classification", "base"])
    p.add_argument("--tokens", required=True, help="JSON Lines of token ids")
    p.add_argument("--out", required=True)
    p.add_argument("--features", nargs="+", default=["logits"], help="logits, hidden.L, attentions.L")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--shard-size", type=int, default=1024)
    p.add_argument("--dtype", default="F32", choices=["F32", "F16"])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()

    ids, masks = read_rows(a.tokens)
    model = load(a.model, a.head).to(a.device)
    os.makedirs(a.out, exist_ok=True)
    store_dtype = torch.float16 if a.dtype == "F16" else torch.float32
    shards, rows_shapes, shape = [], {}, None
    for start in range(0, len(ids), a.shard_size):
        end = min(len(ids), start + a.shard_size)
        parts = {k: [] for k in a.features}
        for b in range(start, end, a.batch_size):
            e = min(end, b + a.batch_size)
            with torch.no_grad():
                out = model(
                    input_ids=ids[b:e].to(a.device),
                    attention_mask=masks[b:e].to(a.device),
                    output_hidden_states=True,
                    output_attentions=True,
                )
            logits = out.logits if hasattr(out, "logits") else out.last_hidden_state
            if shape is None:
                shape = model_shape(model.config, logits)
            for key in a.features:
                if key == "logits":
                    t = logits
                else:
                    kind, layer = key.split(".")
                    layer = int(layer)
                    if kind == "hidden":
                        t = out.hidden_states[layer]
                    elif kind == "attentions":
                        t = out.attentions[layer - 1]
                    else:
                        raise SystemExit(f"unsupported feature {key}: use logits, hidden.L or attentions.L")
                parts[key].append(t.detach().to("cpu", torch.float32))
        tensors = {k: torch.cat(v).to(store_dtype).contiguous() for k, v in parts.items()}
        for k, t in tensors.items():
            rows_shapes[k] = list(t.shape[1:])
        name = f"shard-{len(shards):05d}.safetensors"
        save_file(tensors, os.path.join(a.out, name), metadata={"format": FORMAT, "rows": f"{start},{end}"})
        shards.append({"file": name, "start": start, "end": end})
    index = {"format": FORMAT, "shape": shape, "count": len(ids), "features": rows_shapes, "dtype": a.dtype, "shards": shards}
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
    print(f"wrote {len(shards)} shards of {len(ids)} rows to {a.out}")


if __name__ == "__main__":
    main()
