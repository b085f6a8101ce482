#!/usr/bin/env python3
"""Plain PyTorch / HF transformers paired-activation harvest: the reference `bin/dfc bench harvest` compares with.

Venv (offline here):  python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
Run:                  .venv/bin/python tools/reference/harvest_hf.py --model-a DIR --model-b DIR --ids IDS.json \
                          --layers 12 --batch-size 8 --threads 2 --out DIR
IDS.json (written by `bin/dfc bench harvest`): {"ids": [[token ids of sequence i], ...],
                                                "positions": [[harvested positions of sequence i], ...]}

What a careful plain-Python harvester does with the same inputs and shapes as the Java harvest: both models in
float32, eager attention, on the same token ids; sequences sorted by length and left-padded per batch (attention
mask, position ids = cumsum(mask) - 1, as HF generate does); forward hooks on the decoder layers read their outputs
(= hidden_states[L+1]); the forward stops after the deepest requested layer (the layers after it are dropped, no
lm_head); the harvested positions of A and B are stacked as (n, 2, d) float16 and written as one .npy file per
batch and layer. Timed from the first forward to the last file written (model loading excluded, as in the Java
bench). Prints one JSON line: {"tokens": ..., "seconds": ..., "tokens_per_s": ..., "rows": ...}.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from transformers import AutoModelForCausalLM


def load(path, deepest):
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    # Stop after the deepest harvested layer: later layers, the final norm's consumers and lm_head are not needed.
    model.model.layers = model.model.layers[: deepest + 1]
    return model


def capture(model, layers):
    """Registers hooks storing each requested decoder layer's output; returns the dict they fill."""
    seen = {}
    for layer in layers:
        def hook(module, args, output, layer=layer):
            seen[layer] = output[0] if isinstance(output, tuple) else output
        model.model.layers[layer].register_forward_hook(hook)
    return seen


def batches(ids, batch_size):
    order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-a", required=True)
    ap.add_argument("--model-b", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--layers", required=True)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    layers = [int(x) for x in args.layers.split(",")]
    spec = json.load(open(args.ids))
    ids, positions = spec["ids"], spec["positions"]
    a, b = load(args.model_a, max(layers)), load(args.model_b, max(layers))
    seen_a, seen_b = capture(a, layers), capture(b, layers)
    os.makedirs(args.out, exist_ok=True)

    tokens = rows = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for n, batch in enumerate(batches(ids, args.batch_size)):
            width = max(len(ids[i]) for i in batch)
            x = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for r, i in enumerate(batch):
                x[r, width - len(ids[i]):] = torch.tensor(ids[i])
                mask[r, width - len(ids[i]):] = 1
            pos = (mask.cumsum(-1) - 1).clamp(min=0)
            a.model(input_ids=x, attention_mask=mask, position_ids=pos, use_cache=False)
            b.model(input_ids=x, attention_mask=mask, position_ids=pos, use_cache=False)
            for layer in layers:
                picked = []
                for r, i in enumerate(batch):
                    cols = [width - len(ids[i]) + p for p in positions[i]]
                    picked.append(torch.stack([seen_a[layer][r, cols], seen_b[layer][r, cols]], dim=1))
                arr = torch.cat(picked).to(torch.float16).numpy()
                np.save(os.path.join(args.out, f"batch{n:05d}_layer{layer}.npy"), arr)
                rows += arr.shape[0]
            tokens += sum(len(ids[i]) for i in batch)
    seconds = time.perf_counter() - start
    print(json.dumps({"tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds, "rows": rows}))


if __name__ == "__main__":
    main()
