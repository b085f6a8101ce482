#!/usr/bin/env python3
"""HF transformers reference for `bin/dfc bench evaluate`: the same steering grid, generated with HF transformers in
the two ways people do it, on the same prompt ids and the same residual edits (computed by dfc, read from --input):

  loop  the paper's loop: one `model.generate` per prompt x condition; a forward hook on the decoder layer adds the
        condition's vector to the last prompt token's residual during the prompt forward (prefill) only;
  batch all conditions of a prompt (one model) in one `generate`: the prompt repeated, one vector per row.

Greedy, float32, eager attention, CPU, stop at EOS. The input JSON (written by dfc): {"model_a", "model_b", "layer",
"max_new_tokens", "threads", "items": [{"prompt": P, "model": "A"|"B", "key": K, "ids": [...], "delta": [...] | null}]}.
Prints one JSON line: seconds and generations per second per loop, and every generation's ids per loop (for the
token-identity check against dfc's).

Set-up (offline here): python3 -m venv V && V/bin/pip install /opt/wheels/torch-*.whl transformers safetensors numpy
"""
import argparse
import json
import time
from collections import OrderedDict

import torch
from transformers import AutoModelForCausalLM


class LastTokenEdit:
    """Adds rows of `deltas` to the last position's residual of the hooked layer's output, in the prompt forward only."""

    def __init__(self):
        self.deltas = None

    def __call__(self, module, args, output):
        hidden = output[0] if isinstance(output, tuple) else output
        if self.deltas is not None and hidden.shape[1] > 1:  # prefill; decode steps see one token
            hidden[:, -1, :] += self.deltas
        return output


def load(path, threads):
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32, attn_implementation="eager").eval()
    return model


def generate(model, edit, ids, deltas, max_new_tokens):
    edit.deltas = deltas
    input_ids = torch.tensor(ids, dtype=torch.long)
    out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=max_new_tokens,
                         do_sample=False, num_beams=1, pad_token_id=model.generation_config.eos_token_id
                         if isinstance(model.generation_config.eos_token_id, int) else model.generation_config.eos_token_id[0])
    edit.deltas = None
    eos = model.generation_config.eos_token_id
    eos = {eos} if isinstance(eos, int) else set(eos)
    rows = []
    for row in out[:, input_ids.shape[1]:].tolist():
        cut = []
        for t in row:
            cut.append(t)
            if t in eos:
                break
        rows.append(cut)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    a = ap.parse_args()
    spec = json.load(open(a.input))
    torch.set_num_threads(spec["threads"])
    models, edits = {}, {}
    for side in ("A", "B"):
        models[side] = load(spec["model_" + side.lower()], spec["threads"])
        edits[side] = LastTokenEdit()
        models[side].model.layers[spec["layer"]].register_forward_hook(edits[side])
    items = spec["items"]
    n = spec["max_new_tokens"]

    def delta(item, d):
        return torch.zeros(d) if item["delta"] is None else torch.tensor(item["delta"], dtype=torch.float32)

    with torch.inference_mode():
        generate(models["B"], edits["B"], [items[0]["ids"]], None, 2)  # warm-up
        t0 = time.perf_counter()
        loop = []
        for it in items:
            m = models[it["model"]]
            deltas = None if it["delta"] is None else delta(it, m.config.hidden_size).unsqueeze(0)
            loop.append(generate(m, edits[it["model"]], [it["ids"]], deltas, n)[0])
        loop_s = time.perf_counter() - t0

        groups = OrderedDict()
        for i, it in enumerate(items):
            groups.setdefault((it["prompt"], it["model"]), []).append(i)
        t0 = time.perf_counter()
        batch = [None] * len(items)
        for (prompt, side), idx in groups.items():
            m = models[side]
            deltas = torch.stack([delta(items[i], m.config.hidden_size) for i in idx])
            rows = generate(m, edits[side], [items[i]["ids"] for i in idx], deltas, n)
            for i, r in zip(idx, rows):
                batch[i] = r
        batch_s = time.perf_counter() - t0

    print(json.dumps({"generations": len(items), "loop_seconds": loop_s, "loop_per_s": len(items) / loop_s,
                      "batch_seconds": batch_s, "batch_per_s": len(items) / batch_s, "loop_ids": loop, "batch_ids": batch,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
