#!/usr/bin/env python3
"""Builds data/tokenizers/tiny-bpe-500: a byte-level BPE tokenizer with 500 ids (< the 512-token vocab of
data/models/qwen2-tiny) and Qwen2.5's chat template, so the tiny model can run on real rendered prompts.

Venv (offline here):  python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
Run:                  .venv/bin/python tools/reference/make_tiny_tokenizer.py OUT_DIR TEMPLATE.jinja CORPUS...
CORPUS files are read as text (JSON/JSONL files too: their raw text is the training text). Deterministic for a
given corpus: BPE training in `tokenizers` is single-threaded-deterministic with a fixed input order.

Ids: 0 <|endoftext|>, 1 <|im_start|>, 2 <|im_end|>, 3 <tool_call>, 4 </tool_call> (the first three special,
the tool-call markers plain added tokens, as in Qwen2.5), then the 256 byte-level symbols, then merges.
"""
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

VOCAB = 500
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"]
NON_SPECIAL = {"<tool_call>", "</tool_call>"}


def main(out_dir, template_path, corpus):
    tok = Tokenizer(models.BPE())
    # Same pre-tokenizer as Qwen2.5 (regex split, then byte level).
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(
            pattern=__import__("tokenizers").Regex(
                r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
            behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train(corpus, trainer)
    spec = json.loads(tok.to_str())
    for t in spec["added_tokens"]:
        t["special"] = t["content"] not in NON_SPECIAL
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False, indent=1)
    template = open(template_path, encoding="utf-8").read()
    config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "model_max_length": 4096,
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {str(i): {"content": s, "special": s not in NON_SPECIAL, "lstrip": False,
                                          "rstrip": False, "normalized": False, "single_word": False}
                                 for i, s in enumerate(SPECIALS)},
        "chat_template": template,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
    print("vocab", tok.get_vocab_size(), "->", out_dir)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
