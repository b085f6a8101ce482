#!/usr/bin/env python3
"""Seed and ToolRL oracle: random mutations of candidate outputs, judged by the UNMODIFIED original functions.

Produces JSONL cases in the formats of common/src/test/resources/toolcall-scoring/{seed_scorer,toolrl_reward}.jsonl
(`prompt`/`response` + `expected` {format_accuracy, tool_correctness, overall_score}; `solution_str`/`ground_truth`/
`env` + `expected` {score, format_score, correctness_score, length_score} or {raises, message}), so that the Java
ports (PaperScorer, ToolRlScorer) are checked on inputs beyond the public fixtures: tag, whitespace (Unicode
included), JSON-typing and name/tool-list corruptions.

Originals: `score_response` from the seed's sweep_eval.py (source extracted with `ast` and exec'd with `re`, so
torch is not needed) and `compute_score` from ToolRL's verl/utils/reward_score/rlla.py (imported from its file;
its prints are silenced), with EXPERIMENT_NAME=grpo-qwen2.5-3b and no switch set.

Usage (needs only the standard library; any venv works, e.g. python3 -m venv .venv &&
.venv/bin/pip install torch transformers safetensors numpy pyarrow pandas):
  git clone https://github.com/Antebe/model_diffing_crosscoders   (commit 31a4d3ee)
  git clone https://github.com/qiancheng0/ToolRL                   (commit 8cee13ec)
  python3 tools/reference/scorer_oracle.py --seed-src model_diffing_crosscoders --toolrl-src ToolRL \
      --fixtures common/src/test/resources/toolcall-scoring --n 2000 --seed 3 --out-dir /tmp/oracle
"""
import argparse
import ast
import contextlib
import importlib.util
import io
import json
import os
import random
import re
from pathlib import Path

NOISE = ["<tool_call>", "</tool_call>", "<TOOL_CALL>", "<think>", "</think>", "<response>", "</response>",
         "\n", "\r\n", "\n\n", " ", "\t", "\u00a0", "\u2028", "\u3000", "\x1c", "\x85", "{", "}", "[", "]", ",", ":",
         "\"", "'", "\"name\": \"", "\"name\":\"x\"", "\"name\" :\n \"getWeather\"", "\"parameters\": {}",
         "\"arguments\": {}", "NaN", "Infinity", "1.0", "1", "true", "null", "1e400", "-0", "\\u00e9", "\\ud83d",
         "<|im_end|>", "<|im_start|>assistant\n", "<|start_header_id|>assistant<|end_header_id|>", "é", "😀",
         "\n1. Name: zeta\n", "1. Name: ", "\u0661. Name: alpha", "2.\tName:\u2003beta\n"]


def load_seed_score_response(seed_src):
    tree = ast.parse((Path(seed_src) / "sweep_eval.py").read_text())
    ns = {"re": re}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "score_response":
            exec(compile(ast.Module(body=[node], type_ignores=[]), "sweep_eval.py", "exec"), ns)
    return ns["score_response"]


def load_toolrl_compute_score(toolrl_src):
    path = Path(toolrl_src) / "verl/utils/reward_score/rlla.py"
    spec = importlib.util.spec_from_file_location("rlla", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.compute_score


def mutate(text, rnd, k):
    for _ in range(k):
        op = rnd.random()
        i = rnd.randrange(len(text) + 1)
        if op < 0.45:
            text = text[:i] + rnd.choice(NOISE) + text[i:]
        elif op < 0.7 and text:
            j = min(len(text), i + rnd.randint(1, 12))
            text = text[:i] + text[j:]
        elif op < 0.85:
            for a, b in [("\"parameters\"", "\"arguments\""), ("1.0", "1"), ("1", "true"), ("\"", "'"), ("\n", "\r\n"),
                         ("</tool_call>", ""), ("<think>", "<THINK>"), ("Name:", "Name :"), ("_", " "), ("name", "Name")]:
                if rnd.random() < 0.3 and a in text:
                    text = text.replace(a, b, 1)
                    break
        else:
            text = text.swapcase() if rnd.random() < 0.1 else text.upper()[:i] + text[i:]
    return text


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def short_prompt(prompt, rnd):
    """The tool-list region of a seed prompt (keeps shipped cases small) plus some surrounding text."""
    lines = prompt.split("\n")
    idx = [i for i, l in enumerate(lines) if "Name:" in l]
    if not idx:
        return prompt[:300]
    a, b = max(0, idx[0] - 2), min(len(lines), idx[-1] + 3)
    return "\n".join(lines[a:b]) if rnd.random() < 0.8 else prompt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed-src", required=True)
    ap.add_argument("--toolrl-src", required=True)
    ap.add_argument("--fixtures", required=True, type=Path)
    ap.add_argument("--n", type=int, default=1000, help="cases per scorer")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out-dir", required=True, type=Path)
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(args.seed)
    score_response = load_seed_score_response(args.seed_src)
    compute_score = load_toolrl_compute_score(args.toolrl_src)

    seed_rows = load_jsonl(args.fixtures / "seed_scorer.jsonl")
    with open(args.out_dir / "seed_mutations.jsonl", "w", encoding="utf-8") as out:
        for k in range(args.n):
            base = rnd.choice(seed_rows)
            prompt = short_prompt(base["prompt"], rnd)
            if rnd.random() < 0.3:
                prompt = mutate(prompt, rnd, rnd.randint(1, 3))
            response = mutate(base["response"], rnd, rnd.randint(0, 4))
            expected = score_response(response, prompt)
            out.write(json.dumps({"case_id": f"mut{k}:{base['case_id']}", "prompt": prompt, "response": response,
                                  "expected": expected}, ensure_ascii=False) + "\n")

    os.environ.clear()
    os.environ["EXPERIMENT_NAME"] = "grpo-qwen2.5-3b"
    toolrl_rows = load_jsonl(args.fixtures / "toolrl_reward.jsonl")
    with open(args.out_dir / "toolrl_mutations.jsonl", "w", encoding="utf-8") as out:
        for k in range(args.n):
            base = rnd.choice(toolrl_rows)
            gt = base["ground_truth"]
            if rnd.random() < 0.15:
                gt = mutate(gt, rnd, 1)
            response = mutate(base["response"], rnd, rnd.randint(0, 4))
            solution = "<|im_start|>assistant\n" + response + "<|im_end|>"
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    s, f, c, l = compute_score(solution, gt, 0)
                expected = {"score": s, "format_score": f, "correctness_score": c, "length_score": l}
            except Exception as e:  # noqa: BLE001 - recorded as the original's exception
                expected = {"raises": type(e).__name__, "message": str(e)}
            out.write(json.dumps({"case_id": f"mut{k}:{base['case_id']}", "env": {"EXPERIMENT_NAME": "grpo-qwen2.5-3b"},
                                  "step": 0, "solution_str": solution, "response": response, "ground_truth": gt,
                                  "expected": expected}, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} seed and {args.n} toolrl cases to {args.out_dir}")


if __name__ == "__main__":
    main()
