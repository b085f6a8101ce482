#!/usr/bin/env python3
"""Reference renders of chat templates by Hugging Face transformers (Jinja2), replayed by ChatTemplateJinja2Test.

Writes common/src/test/resources/text/jinja2_cases.json: a list of cases
  {name, template | null (= the Qwen2.5 template of data/tokenizers/qwen2.5), messages, tools,
   add_generation_prompt, expected | null, error | null}
rendered with transformers' own chat-template environment (trim_blocks, lstrip_blocks, its tojson,
raise_exception). Run from the repository root:

    python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
    HF_HUB_OFFLINE=1 .venv/bin/python tools/reference/chat_template_cases.py
"""
import json
import pathlib

import jinja2
from transformers import AutoTokenizer
from transformers.utils.chat_template_utils import render_jinja_template

ROOT = pathlib.Path(__file__).resolve().parents[2]
QWEN = ROOT / "data" / "tokenizers" / "qwen2.5"
OUT = ROOT / "common" / "src" / "test" / "resources" / "text" / "jinja2_cases.json"

tok = AutoTokenizer.from_pretrained(str(QWEN))
special = tok.special_tokens_map  # what apply_chat_template passes to the template

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Météo d'une ville — “quoted” \\ backslash\ttab",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. 東京"},
        "days": {"type": "integer", "minimum": 1, "maximum": 14, "default": 3},
        "threshold": {"type": "number", "default": 0.1, "examples": [1e-05, 2.5e16, 100.0, -0.0]},
        "flags": {"type": "array", "items": {"type": "boolean"}, "default": [True, False, None]}},
        "required": ["city"]}}}
BARE = {"name": "search", "description": "a tool given without the {type, function} wrapper",
        "parameters": {"type": "object", "properties": {}}}

qwen_cases = [
    ("qwen_user_only_gen", [{"role": "user", "content": "hi"}], None, True),
    ("qwen_system_user", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}], None, True),
    ("qwen_tools_no_system", [{"role": "user", "content": "Weather in Paris?"}], [WEATHER, BARE], True),
    ("qwen_tools_empty_list", [{"role": "user", "content": "hi"}], [], False),
    ("qwen_multiturn_tool_call", [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "Weather in Tokyo for 2 days?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "東京", "days": 2, "t": 0.5}}}]},
        {"role": "tool", "name": "get_weather", "content": "{\"temp\": 21}"},
        {"role": "assistant", "content": "21 degrees."},
        {"role": "user", "content": "Thanks\n  trailing spaces  "},
        {"role": "system", "content": "late system"}], [WEATHER], True),
    ("qwen_tool_call_without_function_wrapper_and_string_arguments", [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": "", "tool_calls": [{"name": "search", "arguments": "{\"q\": \"a\"}"}]},
        {"role": "tool", "content": "r1"}, {"role": "tool", "content": "r2"}], [BARE], False),
]

# Known divergences of Jinjava, kept out of these cases (see docs/DESIGN.md): printing a bare boolean or
# None ({{ x is defined }} gives true/false, Jinja2 True/False), and a {#- -#} comment in the middle of a line.
generic = [
    ("ws_trim_lstrip", "A\n  {% if true %}\n  B\n  {% endif %}\nC\n", []),
    ("ws_expression_dash", "x  {{- ' y ' -}}  z\n{{ 'w' }}\n", []),
    ("ws_comment_own_lines", "{%- set x = 'a' %}\n{#- This block does nothing. #}\n  {# indented note #}\n{{- x }}\nb\n", []),
    ("ws_raw_newlines_kept", "{{ 'a' }}\n\n{{ 'b' }}\n\n", []),
    ("loop_vars", "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.length }}"
                  "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %};{% endfor %}",
     [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]),
    ("string_ops", "{% for m in messages %}{{ m.role ~ ':' ~ m['content'] | trim }}|{{ m.content | length }}"
                   "|{{ 'yes' if 'b' in m.content else 'no' }}|{{ 'S' if m.content is string else 'N' }}\n{% endfor %}",
     [{"role": "user", "content": "  abc  "}, {"role": "user", "content": "xyz"}]),
    ("namespace", "{% set ns = namespace(n=0, last='') %}{% for m in messages %}{% if m.role == 'user' %}"
                  "{% set ns.n = ns.n + 1 %}{% set ns.last = m.content %}{% endif %}{% endfor %}{{ ns.n }} {{ ns.last }}",
     [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]),
    ("tojson_indent", "{{ messages[0] | tojson(indent=2) }}\n{{ messages[0] | tojson }}",
     [{"role": "user", "content": "é\"\n", "nums": [1, 2.0, 0.30000000000000004, 1e-07], "empty": {}, "none": None}]),
    ("is_defined", "{% for m in messages %}{{ 'N' if m.name is defined }}{{ 'T' if m.tool_calls is not defined }}"
                   "{% if m.content %}C{% endif %};{% endfor %}",
     [{"role": "user", "content": ""}, {"role": "tool", "name": "t", "content": "x"}]),
    ("special_tokens", "{{ eos_token }}|{{ pad_token }}|{{ 'B' if bos_token is defined else 'no bos' }}", []),
    ("raise_exception", "{% if messages[0].role != 'system' %}{{ raise_exception('Conversation must start with system') }}{% endif %}",
     [{"role": "user", "content": "a"}]),
    ("loop_break_continue", "{% for m in messages %}{% if m.role == 'assistant' %}{% continue %}{% endif %}"
                            "{% if m.content == 'stop' %}{% break %}{% endif %}{{ m.content }}{% endfor %}",
     [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"},
      {"role": "user", "content": "stop"}, {"role": "user", "content": "d"}]),
]

cases = []
for name, msgs, tools, gen in qwen_cases:
    text = tok.apply_chat_template(msgs, tools=tools, tokenize=False, add_generation_prompt=gen)
    cases.append({"name": name, "template": None, "messages": msgs, "tools": tools,
                  "add_generation_prompt": gen, "expected": text, "error": None})
for name, template, msgs in generic:
    case = {"name": name, "template": template, "messages": msgs, "tools": None,
            "add_generation_prompt": False, "expected": None, "error": None}
    try:
        out, _ = render_jinja_template([msgs], chat_template=template, **special)
        case["expected"] = out[0]
    except jinja2.exceptions.TemplateError as e:
        case["error"] = str(e)
    cases.append(case)

# tools: None stays None, [] stays [] (transformers passes what it is given)
for name, tools in [("tools_none", None), ("tools_empty_list", [])]:
    template = "{% if tools is none %}none{% else %}list of {{ tools | length }}{% endif %}"
    out, _ = render_jinja_template([[{"role": "user", "content": "x"}]], tools=tools, chat_template=template, **special)
    cases.append({"name": name, "template": template, "messages": [{"role": "user", "content": "x"}], "tools": tools,
                  "add_generation_prompt": False, "expected": out[0], "error": None})

OUT.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")
