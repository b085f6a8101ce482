#!/usr/bin/env python3
"""HF transformers reference for `bin/dfc bench forward`: the same Qwen2 shapes with random weights, float32, eager
attention, CPU, measured the same way (prefill = model(input_ids) with logits at every position, median of
--repeats after a warm-up; decode = greedy steps with the KV cache after a --prompt-len prompt, tokens/s over
the decode steps only). Prints one JSON line.

Set-up (offline here):  python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
Run:                    .venv/bin/python tools/reference/bench_forward_hf.py --threads 2
"""
import argparse
import json
import statistics
import time

import torch
import transformers
from transformers import Qwen2Config, Qwen2ForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=896)
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--heads", type=int, default=14)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=4864)
    ap.add_argument("--vocab", type=int, default=151936)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=256)
    ap.add_argument("--decode-steps", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cfg = Qwen2Config(vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.intermediate,
                      num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.kv_heads,
                      max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6,
                      tie_word_embeddings=True, use_sliding_window=False)
    cfg._attn_implementation = "eager"
    model = Qwen2ForCausalLM(cfg).to(torch.float32).eval()
    ids = torch.randint(0, a.vocab, (a.batch, a.prompt_len))

    with torch.inference_mode():
        def prefill_seconds(logits_to_keep):
            seconds = []
            for r in range(a.repeats + 1):  # the first is a warm-up
                t = time.perf_counter()
                out = model(input_ids=ids, use_cache=False, logits_to_keep=logits_to_keep)
                out.logits.shape
                if r > 0:
                    seconds.append(time.perf_counter() - t)
            return statistics.median(seconds)

        p = prefill_seconds(0)  # logits at every position, as our prefill
        p_last = prefill_seconds(1)  # the last position's only, as harvest and generation

        def decode(steps):
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
            past = out.past_key_values
            nxt = out.logits[:, -1].argmax(-1, keepdim=True)
            t = time.perf_counter()
            for _ in range(steps):
                out = model(input_ids=nxt, past_key_values=past, use_cache=True)
                past = out.past_key_values
                nxt = out.logits[:, -1].argmax(-1, keepdim=True)
            return (time.perf_counter() - t) / steps

        decode(min(2, a.decode_steps))  # warm-up
        per_step = [decode(a.decode_steps) for _ in range(a.repeats)]

    d = statistics.median(per_step)
    print(json.dumps({"prefill_tok_s": a.batch * a.prompt_len / p, "prefill_last_tok_s": a.batch * a.prompt_len / p_last,
                      "decode_tok_s": a.batch / d,
                      "prefill_s": p, "decode_s_per_step": d, "torch": torch.__version__,
                      "transformers": transformers.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
