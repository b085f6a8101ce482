#!/usr/bin/env python3
"""Independent checks of the shipped model organism (data/organism) with Hugging Face libraries.

  tokenizer  The organism's tokenizer.json/tokenizer_config.json load in `tokenizers` and in
             transformers (AutoTokenizer); every prompt of the prompts tables, rendered with
             transformers' apply_chat_template (tools + gold answer), encodes to one token per
             pre-tokenizer piece (no character fallback, no <unk>) and decodes back byte for byte.
             With --golden FILE, writes the first renders (messages, tools, text, ids) as a fixture
             that the Java tests replay (ChatTemplate + Tokenizer must give the same text and ids).
  models     Each model directory loads in transformers' Qwen2ForCausalLM; its logits at the last prompt
             positions and its greedy continuation of a few held-out prompts are written as a fixture that
             the Java runtime must reproduce (ShippedOrganismTest).

The tokenizer is loaded with PreTrainedTokenizerFast (what tokenizer_config.json's tokenizer_class names):
transformers 5's AutoTokenizer ignores tokenizer_class for model_type "qwen2" and rebuilds Qwen's own
byte-level pipeline around the vocabulary, which does not fit this tokenizer (transformers 4 honours it).

Setup (offline here):
    python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
Run from the repository root:
    HF_HUB_OFFLINE=1 .venv/bin/python tools/reference/organism_check.py tokenizer
    HF_HUB_OFFLINE=1 .venv/bin/python tools/reference/organism_check.py models
"""
import argparse
import json
import pathlib
import sys


def load_rows(prompts_dir):
    """Every row of the Parquet prompts tables (data-schemas/prompts.md) as plain dicts."""
    import pyarrow.parquet as pq
    rows = []
    for f in sorted(pathlib.Path(prompts_dir).glob("*.parquet")):
        for r in pq.read_table(f).to_pylist():
            r["extras"] = dict(r["extras"])  # Parquet map -> list of (key, value) pairs
            rows.append(r)
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
    from transformers import PreTrainedTokenizerFast

    model = pathlib.Path(args.model)
    raw = Tokenizer.from_file(str(model / "tokenizer.json"))
    hf = PreTrainedTokenizerFast.from_pretrained(str(model))
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
    """HF transformers on the shipped models: logits at the last positions and greedy continuations of a few
    held-out prompts, written as a fixture that the Java runtime must reproduce (ShippedOrganismTest)."""
    import torch
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(0)
    rows = [r for r in load_rows(args.prompts) if r["id"].startswith("organism-test-tool")][: args.prompts_per_model]
    generic = [r for r in load_rows(args.prompts) if r["id"].startswith("organism-test-generic")][:1]
    cases = []
    for model_dir in args.models:
        tok = PreTrainedTokenizerFast.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        model.eval()
        assert type(model).__name__ == "Qwen2ForCausalLM", type(model).__name__
        for row in rows + generic:
            tools = [{"type": "function", "function": json.loads(t)} for t in row["tools"]] or None
            text = tok.apply_chat_template([dict(m) for m in row["messages"]], tools=tools, tokenize=False,
                                           add_generation_prompt=True)
            ids = tok(text, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([ids])).logits[0]
                out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                     do_sample=False, max_new_tokens=40, eos_token_id=[tok.convert_tokens_to_ids("<|im_end|>"),
                                     tok.convert_tokens_to_ids("<|endoftext|>")], pad_token_id=tok.pad_token_id)
            positions = list(range(len(ids) - args.positions, len(ids)))
            generated = out[0, len(ids):].tolist()
            cases.append({"model": str(pathlib.Path(model_dir).as_posix()), "prompt_id": row["id"], "ids": ids,
                          "positions": positions, "logits": [[round(float(x), 6) for x in logits[p]] for p in positions],
                          "greedy": generated, "greedy_text": tok.decode(generated, skip_special_tokens=True)})
            print(f"{model_dir} {row['id']}: {len(ids)} ids -> {tok.decode(generated)!r}")
    with open(args.write_fixture, "w", encoding="utf-8") as fh:
        json.dump({"transformers": __import__("transformers").__version__, "torch": torch.__version__, "cases": cases}, fh)
    print("wrote", len(cases), "cases to", args.write_fixture)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tokenizer")
    t.add_argument("--model", default="data/organism/base")
    t.add_argument("--prompts", default="data/organism/prompts")
    t.add_argument("--golden", help="write a golden-render fixture (JSON Lines) here")
    t.add_argument("--golden-rows", type=int, default=12)
    m = sub.add_parser("models")
    m.add_argument("--models", nargs="+", default=["data/organism/base", "data/organism/rl-mid", "data/organism/rl"])
    m.add_argument("--prompts", default="data/organism/prompts")
    m.add_argument("--prompts-per-model", type=int, default=2)
    m.add_argument("--positions", type=int, default=3, help="logits kept for this many last prompt positions")
    m.add_argument("--write-fixture", default="common/src/test/resources/organism/hf_reference.json")
    args = ap.parse_args()
    return check_tokenizer(args) if args.cmd == "tokenizer" else check_models(args)


if __name__ == "__main__":
    sys.exit(main())
