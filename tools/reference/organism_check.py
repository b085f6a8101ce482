#!/usr/bin/env python3
"""Independent checks of the shipped model organism (data/organism) with Hugging Face libraries.

  tokenizer  The organism's tokenizer.json/tokenizer_config.json load in `tokenizers` and in
             transformers (AutoTokenizer); every prompt of the prompts tables, rendered with
             transformers' apply_chat_template (tools + gold answer), encodes to one token per
             pre-tokenizer piece (no character fallback, no <unk>) and decodes back byte for byte.
             With --golden FILE, writes the first renders (messages, tools, text, ids) as a fixture
             that the Java tests replay (ChatTemplate + Tokenizer must give the same text and ids).
  models     (see --help) each model directory loads in transformers' Qwen2ForCausalLM and gives the
             same logits as a fixture written by the Java runtime.

Setup (offline here):
    python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
Run from the repository root:
    HF_HUB_OFFLINE=1 .venv/bin/python tools/reference/organism_check.py tokenizer --model data/organism/base \
        --prompts data/organism/prompts
"""
import argparse
import json
import pathlib
import sys


def load_rows(prompts_dir):
    rows = []
    for f in sorted(pathlib.Path(prompts_dir).glob("*.jsonl")):
        with open(f, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def answer_of(row):
    """The assistant answer the world knows: the gold call in Qwen's hermes format, else the prose answer."""
    if row["gold_kind"] == "tool_call":
        call = json.loads(row["gold"])[0]
        return '<tool_call>\n{"name": "' + call["name"] + '", "arguments": ' + \
            json.dumps(call["arguments"], ensure_ascii=False) + '}\n</tool_call>'
    return row["extras"]["answer"]


def check_tokenizer(args):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    model = pathlib.Path(args.model)
    raw = Tokenizer.from_file(str(model / "tokenizer.json"))
    hf = AutoTokenizer.from_pretrained(str(model))
    assert hf.eos_token == "<|im_end|>" and hf.pad_token == "<|endoftext|>", (hf.eos_token, hf.pad_token)
    unk = raw.token_to_id("<unk>")
    rows = load_rows(args.prompts)
    golden, bad, lengths = [], 0, {}
    for row in rows:
        # the prompts table keeps bare {"name", "description", "parameters"}; templates get the OpenAI form
        tools = [{"type": "function", "function": json.loads(t)} for t in row["tools"]] or None
        messages = [dict(m) for m in row["messages"]] + [{"role": "assistant", "content": answer_of(row)}]
        text = hf.apply_chat_template(messages, tools=tools, tokenize=False)
        for schema in row["tools"]:  # the stored strings are exactly what tojson writes
            if ('\n{"type": "function", "function": ' + schema + "}\n") not in text:
                print("SCHEMA NOT VERBATIM", row["id"]); bad += 1
        enc = raw.encode(text, add_special_tokens=False)
        pieces = sum(len(raw.pre_tokenizer.pre_tokenize_str(seg)) for seg in split_added(text, raw))
        added = len([t for t in enc.tokens if t in ADDED])
        if len(enc.ids) != pieces + added:
            print("CHARACTER FALLBACK", row["id"], enc.tokens); bad += 1
        if unk in enc.ids:
            print("UNK", row["id"]); bad += 1
        if raw.decode(enc.ids, skip_special_tokens=False) != text or hf.decode(enc.ids) != text:
            print("ROUND TRIP", row["id"]); bad += 1
        if hf(text, add_special_tokens=False)["input_ids"] != enc.ids:
            print("TRANSFORMERS IDS DIFFER", row["id"]); bad += 1
        lengths.setdefault(row["category"], []).append(len(enc.ids))
        if args.golden and len(golden) < args.golden_rows and sum(1 for g in golden if g["category"] == row["category"]) < args.golden_rows // 2:
            golden.append({"id": row["id"], "category": row["category"], "messages": messages,
                           "tools": tools, "text": text, "ids": enc.ids})
    for cat, ls in sorted(lengths.items()):
        ls.sort()
        print(f"{cat}: n={len(ls)} tokens mean {sum(ls) / len(ls):.1f} p95 {ls[int(0.95 * len(ls))]} max {ls[-1]}")
    print(f"vocab {raw.get_vocab_size()}; checked {len(rows)} conversations; problems {bad}")
    if args.golden:
        with open(args.golden, "w", encoding="utf-8") as fh:
            for g in golden:
                fh.write(json.dumps(g, ensure_ascii=False) + "\n")
        print("wrote", len(golden), "golden renders to", args.golden)
    return 1 if bad else 0


ADDED = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>", "<unk>"}


def split_added(text, raw):
    """The text between added tokens (what the pre-tokenizer sees)."""
    import re
    return [s for s in re.split("(" + "|".join(re.escape(a) for a in ADDED) + ")", text) if s and s not in ADDED]


def check_models(args):
    import torch
    from transformers import AutoModelForCausalLM

    fixture = json.loads(pathlib.Path(args.fixture).read_text())
    worst = 0.0
    for case in fixture["cases"]:
        model = AutoModelForCausalLM.from_pretrained(case["model"], dtype=torch.float32)
        model.eval()
        ids = torch.tensor([case["ids"]])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
        java = torch.tensor(case["logits"])  # (positions, vocab) for the listed positions
        pos = case["positions"]
        diff = (logits[pos] - java).abs().max().item()
        worst = max(worst, diff)
        print(f"{case['model']}: {len(case['ids'])} ids, max |logit diff| = {diff:.2e}")
    ok = worst <= args.tolerance
    print("OK" if ok else "MISMATCH", f"(tolerance {args.tolerance})")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tokenizer")
    t.add_argument("--model", default="data/organism/base")
    t.add_argument("--prompts", default="data/organism/prompts")
    t.add_argument("--golden", help="write a golden-render fixture (JSON Lines) here")
    t.add_argument("--golden-rows", type=int, default=12)
    m = sub.add_parser("models")
    m.add_argument("--fixture", required=True, help="JSON written by the Java runtime: cases of {model, ids, positions, logits}")
    m.add_argument("--tolerance", type=float, default=1e-3)
    args = ap.parse_args()
    return check_tokenizer(args) if args.cmd == "tokenizer" else check_models(args)


if __name__ == "__main__":
    sys.exit(main())
