#!/usr/bin/env python3
"""BFCL oracle: candidate outputs for BFCL questions, judged by the UNMODIFIED original BFCL code.

Produces JSONL cases in the format of common/src/test/resources/toolcall-scoring/bfcl_ast.jsonl
(`category`, `functions`, `possible_answer`, `model_result_raw`, `underscore_to_dot`, `expected`
{valid, error_type, error}, `decoded`), so the Java port (org.dfcspark.toolcall.bfcl.BfclScorer) can be
checked on categories and variants the public fixtures do not cover (java, javascript, live_*, relevance).

The judged functions are imported or extracted verbatim from a gorilla checkout:
  ast_checker.py + type converters + constants (imported), QwenFCHandler.decode_ast / _extract_tool_calls
  (imported), eval_runner._evaluate_single_ast_entry / _evaluate_single_relevance_entry and
  utils.is_function_calling_format_output / is_empty_output (source extracted with `ast` and exec'd).
Stubbed (as in the fixtures' harness): bfcl_eval.constants.model_config (Qwen FC entries,
underscore_to_dot=False), base_oss_handler (empty base class), model_handler.utils, `overrides`.

Usage (venv: python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas;
this script itself needs only the standard library):
  git clone https://github.com/ShishirPatil/gorilla  (commit 6ea57973 was used)
  python3 tools/reference/bfcl_oracle.py --bfcl-src gorilla/berkeley-function-call-leaderboard \
      --data DIR_WITH_BFCL_v4_FILES --categories simple_java,simple_javascript,live_simple,live_relevance \
      --per-category 12 --seed 7 --out cases.jsonl
"""
import argparse
import ast
import copy
import json
import random
import sys
import types
from pathlib import Path

QWEN_MODEL = "Qwen_Qwen3-4B-Instruct-2507-FC"


def install_stubs():
    overrides = types.ModuleType("overrides")
    overrides.override = lambda f: f
    overrides.EnforceOverrides = object
    sys.modules["overrides"] = overrides

    model_config = types.ModuleType("bfcl_eval.constants.model_config")

    class _Cfg:
        underscore_to_dot = False

    model_config.MODEL_CONFIG_MAPPING = {QWEN_MODEL.replace("_", "/"): _Cfg()}
    sys.modules["bfcl_eval.constants.model_config"] = model_config

    base = types.ModuleType("bfcl_eval.model_handler.local_inference.base_oss_handler")
    base.OSSHandler = type("OSSHandler", (), {})
    sys.modules["bfcl_eval.model_handler.local_inference.base_oss_handler"] = base

    mh_utils = types.ModuleType("bfcl_eval.model_handler.utils")
    mh_utils.convert_to_function_call = lambda calls: calls
    sys.modules["bfcl_eval.model_handler.utils"] = mh_utils


def extract_functions(path, names, namespace):
    tree = ast.parse(Path(path).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
    missing = [n for n in names if n not in namespace]
    if missing:
        raise SystemExit(f"functions {missing} not found in {path}")


def load_originals(src):
    sys.path.insert(0, str(src))
    install_stubs()
    from bfcl_eval.constants.enums import Language, ReturnFormat
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    from bfcl_eval.model_handler.local_inference.qwen_fc import QwenFCHandler

    ns = {"Language": Language, "ReturnFormat": ReturnFormat, "ast_checker": ast_checker, "BaseHandler": object}
    extract_functions(src / "bfcl_eval/utils.py", ["is_function_calling_format_output", "is_empty_output"], ns)
    extract_functions(src / "bfcl_eval/eval_checker/eval_runner.py",
                      ["_evaluate_single_ast_entry", "_evaluate_single_relevance_entry"], ns)
    handler = QwenFCHandler.__new__(QwenFCHandler)
    return ns, handler, Language, ReturnFormat


def judge(originals, case):
    ns, handler, Language, ReturnFormat = originals
    cat = case["category"]
    raw = case["model_result_raw"]
    try:
        decoded = {"ok": True, "calls": handler.decode_ast(raw, ReturnFormat.PYTHON, False)}
    except Exception as e:  # noqa: BLE001 - mirrors the evaluator
        decoded = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    prompt_entry = {"id": case["question_id"], "function": case["functions"]}
    try:
        if "relevance" in cat or "irrelevance" in cat:
            r = ns["_evaluate_single_relevance_entry"](handler, case["question_id"], raw, prompt_entry, QWEN_MODEL, cat)
        else:
            if "javascript" in cat:
                lang, fmt = Language.JAVASCRIPT, ReturnFormat.JAVASCRIPT
            elif "java" in cat:
                lang, fmt = Language.JAVA, ReturnFormat.JAVA
            else:
                lang, fmt = Language.PYTHON, ReturnFormat.PYTHON
            r = ns["_evaluate_single_ast_entry"](handler, case["question_id"], raw, case["possible_answer"],
                                                 prompt_entry, QWEN_MODEL, cat, lang, fmt)
        expected = {"valid": r["valid"], "error_type": r.get("error_type"), "error": r.get("error")}
    except Exception as e:  # noqa: BLE001 - the original evaluation crashes on this entry
        expected = {"raises": type(e).__name__, "message": str(e)}
    case["decoded"] = decoded
    case["expected"] = json.loads(json.dumps(expected, default=str))
    return case


# ----------------------------------------------------------------------------------------- candidates

def render(calls, key="arguments", sep="\n", indent=None):
    return sep.join("<tool_call>\n" + json.dumps({"name": n, key: a}, indent=indent) + "\n</tool_call>" for n, a in calls)


def first_value(acceptables, last=False):
    vals = [v for v in acceptables if v != ""]
    if not vals:
        return None, False
    return (vals[-1] if last else vals[0]), True


def java_literal(v, lang):
    """A Java/JS-syntax string for a possible-answer value that is not already a string."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        inner = ", ".join(java_literal(x, lang) if not isinstance(x, str) else json.dumps(x) for x in v)
        return f"new ArrayList<>(Arrays.asList({inner}))" if lang == "java" else f"[{inner}]"
    if isinstance(v, dict):
        if lang == "java":
            puts = " ".join(f'put("{k}", {java_literal(first_value(a)[0], lang)});' for k, a in v.items())
            return f"new HashMap<String, Object>() {{{{ {puts} }}}}"
        return "{" + ", ".join(f"{k}: {java_literal(first_value(a)[0], lang)}" for k, a in v.items()) + "}"
    return str(v)


def reference_calls(gt, lang, last=False, omit_optional=False):
    calls = []
    for call in gt:
        (name, params), = call.items()
        args = {}
        for p, acc in params.items():
            if omit_optional and "" in acc:
                continue
            v, ok = first_value(acc, last)
            if ok:
                args[p] = java_literal(v, lang) if lang in ("java", "javascript") else v
        calls.append((name, args))
    return calls


def mutate_value(v, rnd):
    if isinstance(v, bool):
        return rnd.choice([int(v), str(v).lower(), not v])
    if isinstance(v, int):
        return rnd.choice([float(v), str(v), v + 1, [v]])
    if isinstance(v, float):
        return rnd.choice([int(v) if v.is_integer() else round(v, 1), str(v), v * 2])
    if isinstance(v, str):
        return rnd.choice([v.upper(), v + "!", " ".join(v), v.replace(" ", "_"), v[: len(v) // 2], 5, ""])
    if isinstance(v, list):
        return rnd.choice([list(reversed(v)), v[:-1], v + v[:1], [str(x) for x in v], str(v)])
    if isinstance(v, dict):
        w = dict(v)
        w["zz_extra"] = 1
        return rnd.choice([w, {}, list(v.items())])
    return v


def candidates(entry, gt, category, rnd):
    lang = "java" if ("java" in category and "javascript" not in category) else (
        "javascript" if "javascript" in category else "python")
    out = []
    if gt is None:  # (ir)relevance: invent a call to the first function
        fn = entry["function"][0] if entry["function"] else {"name": "lookup", "parameters": {}}
        args = {p: "x" for p in fn["parameters"].get("required", [])}
        out += [("call_first_function", render([(fn["name"], args)])), ("refusal_text", "I cannot help with that."),
                ("call_empty_args", render([(fn["name"], {})])), ("parameters_key", render([(fn["name"], args)], "parameters")),
                ("empty_object_block", "<tool_call>\n{}\n</tool_call>"), ("broken_json", render([(fn["name"], args)])[:-20])]
        return out
    exact = reference_calls(gt, lang)
    out.append(("exact", render(exact)))
    out.append(("alt_acceptable_value", render(reference_calls(gt, lang, last=True))))
    out.append(("omit_optional", render(reference_calls(gt, lang, omit_optional=True))))
    out.append(("reorder_calls", render(list(reversed(exact)))))
    out.append(("drop_call", render(exact[:-1])))
    out.append(("extra_call", render(exact + exact[:1])))
    out.append(("pretty_json", render(exact, indent=2)))
    out.append(("no_newline_tags", render(exact).replace("<tool_call>\n", "<tool_call>").replace("\n</tool_call>", "</tool_call>")))
    out.append(("parameters_key", render(exact, "parameters")))
    out.append(("think_prefix", "<think>\nLet me call the tool.\n</think>\n\n" + render(exact)))
    out.append(("toolrl_block", "<tool_call>\n" + "\n".join(json.dumps({"name": n, "arguments": a}) for n, a in exact) + "\n</tool_call>"))
    out.append(("func_name_dot_to_underscore", render([(n.replace(".", "_"), a) for n, a in exact])))
    out.append(("func_name_case", render([(n.upper(), a) for n, a in exact])))
    out.append(("arguments_as_string", render([(n, json.dumps(a)) for n, a in exact])))
    for k in range(4):
        calls = copy.deepcopy(exact)
        ci = rnd.randrange(len(calls))
        name, args = calls[ci]
        if args:
            p = rnd.choice(sorted(args))
            args[p] = mutate_value(args[p], rnd)
            if lang != "python" and not isinstance(args[p], str) and rnd.random() < 0.7:
                args[p] = java_literal(args[p], lang)
        else:
            args["zz_unknown"] = 1
        out.append((f"mutate_{k}", render(calls)))
    calls = copy.deepcopy(exact)
    if calls and calls[0][1]:
        p = sorted(calls[0][1])[0]
        del calls[0][1][p]
        out.append(("omit_first_param", render(calls)))
    text = render(exact)
    for k in range(2):
        i = rnd.randrange(len(text))
        out.append((f"byte_noise_{k}", text[:i] + rnd.choice(["", "\n", "\"", "}", "{", ",", " "]) + text[i + 1:]))
    return out


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bfcl-src", required=True, type=Path, help="gorilla/berkeley-function-call-leaderboard")
    ap.add_argument("--data", required=True, type=Path, help="directory with BFCL_v4_*.json and possible_answer/")
    ap.add_argument("--categories", required=True)
    ap.add_argument("--per-category", type=int, default=10, help="questions per category")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--smallest-fraction", type=float, default=1.0,
                    help="sample only among this fraction of questions with the shortest function docs")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()

    originals = load_originals(args.bfcl_src.resolve())
    rnd = random.Random(args.seed)
    n = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for category in args.categories.split(","):
            entries = load_jsonl(args.data / f"BFCL_v4_{category}.json")
            answers_path = args.data / "possible_answer" / f"BFCL_v4_{category}.json"
            answers = {a["id"]: a["ground_truth"] for a in load_jsonl(answers_path)} if answers_path.exists() else {}
            entries.sort(key=lambda e: len(json.dumps(e["function"])))
            entries = entries[: max(1, int(len(entries) * args.smallest_fraction))]
            for entry in rnd.sample(entries, min(args.per_category, len(entries))):
                gt = answers.get(entry["id"])
                for variant, raw in candidates(entry, gt, category, rnd):
                    case = {"case_id": f"{entry['id']}:{variant}", "question_id": entry["id"], "category": category,
                            "variant": variant, "model_name": QWEN_MODEL, "underscore_to_dot": False,
                            "functions": entry["function"], "possible_answer": gt, "model_result_raw": raw}
                    out.write(json.dumps(judge(originals, case), ensure_ascii=False) + "\n")
                    n += 1
    print(f"wrote {n} cases to {args.out}")


if __name__ == "__main__":
    main()
