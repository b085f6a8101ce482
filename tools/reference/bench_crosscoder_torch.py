#!/usr/bin/env python3
"""PyTorch reference for `bin/dfc bench crosscoder`: one DFC training step (paper loss, per-sample TopK, fp32).

Two variants, same settings and thread count as the Java benchmark:
  * dense   - the paper's DFCCrossCoder code path (masked einsum encode, topk, dense scatter, masked einsum decode),
              autograd, clip_grad_norm_(1.0), torch.optim.Adam, _apply_masks.
  * sparse  - dense encode + topk, decode only the k active rows with F.embedding_bag(per_sample_weights), forbidden
              gradients zeroed (as the reference's hooks), clip_grad_norm_(1.0), Adam(fused=True), re-mask.
FLOPs are counted as the dense step, 6*B*2d*D, for every implementation.

Setup (offline here):  python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
Run alone:             .venv/bin/python tools/reference/bench_crosscoder_torch.py --threads 2
With the Java side:    bin/dfc bench crosscoder --python .venv/bin/python   (prints both and the ratio)
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def make_params(d, D, n_a, n_b, seed):
    g = torch.Generator().manual_seed(seed)
    W_enc = torch.randn(2, d, D, generator=g) / d ** 0.5
    W_dec = torch.randn(D, 2, d, generator=g) / D ** 0.5
    enc_mask = torch.ones(2, D)
    enc_mask[1, :n_a] = 0
    enc_mask[0, n_a:n_a + n_b] = 0
    dec_mask = torch.ones(D, 2)
    dec_mask[:n_a, 1] = 0
    dec_mask[n_a:n_a + n_b, 0] = 0
    W_enc *= enc_mask.unsqueeze(1)
    W_dec *= dec_mask.unsqueeze(-1)
    params = [torch.nn.Parameter(W_enc), torch.nn.Parameter(torch.zeros(D)),
              torch.nn.Parameter(W_dec), torch.nn.Parameter(torch.zeros(2, d))]
    return params, enc_mask, dec_mask


def l1_terms(feat_sum_a, feat_sum_b, feat_sum_s, B, n_a, n_b, n_s):
    l1_shared = feat_sum_s / (B * n_s)
    l1_excl = ((feat_sum_a + feat_sum_s) / (B * (n_a + n_s)) + (feat_sum_b + feat_sum_s) / (B * (n_b + n_s))) / 2
    return l1_shared, l1_excl


def dense_step(params, opt, x, k, enc_mask, dec_mask, n_a, n_b):
    W_enc, b_enc, W_dec, b_dec = params
    opt.zero_grad()
    pre = torch.einsum("bmd,mdf->bf", x, W_enc * enc_mask.unsqueeze(1)) + b_enc
    pre = F.relu(pre)
    vals, idx = torch.topk(pre, k, dim=-1)
    f = torch.zeros_like(pre).scatter_(-1, idx, vals)
    recon = torch.einsum("bf,fmd->bmd", f, W_dec * dec_mask.unsqueeze(-1)) + b_dec
    mse = F.mse_loss(recon, x)
    fa = torch.cat([f[:, :n_a], f[:, n_a + n_b:]], dim=-1)
    fb = torch.cat([f[:, n_a:n_a + n_b], f[:, n_a + n_b:]], dim=-1)
    fs = f[:, n_a + n_b:]
    total = mse + 1e-3 * (fa.abs().mean() + fb.abs().mean()) / 2 + 1e-3 * fs.abs().mean()
    total.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    with torch.no_grad():
        W_enc.mul_(enc_mask.unsqueeze(1))
        W_dec.mul_(dec_mask.unsqueeze(-1))
    return total


def sparse_step(params, opt, x, k, enc_mask, dec_mask, n_a, n_b):
    W_enc, b_enc, W_dec, b_dec = params
    B, _, d = x.shape
    D = W_enc.shape[2]
    n_s = D - n_a - n_b
    opt.zero_grad(set_to_none=False)
    pre = F.relu(x.reshape(B, 2 * d) @ W_enc.reshape(2 * d, D) + b_enc)
    vals, idx = torch.topk(pre, k, dim=-1)
    recon = F.embedding_bag(idx, W_dec.reshape(D, 2 * d), per_sample_weights=vals, mode="sum").reshape(B, 2, d) + b_dec
    mse = F.mse_loss(recon, x)
    is_a, is_b = idx < n_a, (idx >= n_a) & (idx < n_a + n_b)
    is_s = idx >= n_a + n_b
    l1_shared, l1_excl = l1_terms((vals * is_a).sum(), (vals * is_b).sum(), (vals * is_s).sum(), B, n_a, n_b, n_s)
    total = mse + 1e-3 * l1_excl + 1e-3 * l1_shared
    total.backward()
    W_enc.grad.mul_(enc_mask.unsqueeze(1))
    W_dec.grad.mul_(dec_mask.unsqueeze(-1))
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    with torch.no_grad():
        W_enc.mul_(enc_mask.unsqueeze(1))
        W_dec.mul_(dec_mask.unsqueeze(-1))
    return total


def bench(variant, args):
    d, D, k, B = args.d, args.dict_size, args.k, args.batch
    n_a = n_b = D // 10
    params, enc_mask, dec_mask = make_params(d, D, n_a, n_b, 1)
    if variant == "sparse":
        opt = torch.optim.Adam(params, lr=1e-4, fused=True)
        step = sparse_step
    else:
        opt = torch.optim.Adam(params, lr=1e-4)
        step = dense_step
    g = torch.Generator().manual_seed(2)
    batches = [torch.randn(B, 2, d, generator=g) for _ in range(4)]
    for i in range(args.warmup):
        step(params, opt, batches[i % 4], k, enc_mask, dec_mask, n_a, n_b)
    t0 = time.perf_counter()
    for i in range(args.steps):
        loss = step(params, opt, batches[i % 4], k, enc_mask, dec_mask, n_a, n_b)
    loss.item()
    sec = (time.perf_counter() - t0) / args.steps
    flops = 6.0 * B * 2 * d * D
    name = {"dense": "dense decoder (paper code)", "sparse": "sparse decoder (embedding_bag, fused Adam)"}[variant]
    return {"variant": name, "rows_per_s": B / sec, "ms_per_step": sec * 1e3, "gflops": flops / sec / 1e9}


def matmul_gflops(n=2048, reps=3):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(timed(lambda: a @ b) for _ in range(reps))
    return 2.0 * n ** 3 / best / 1e9


def encoder_gflops(args, reps=5):
    """The step's one dense product at its own shape, (B x 2d) @ (D x 2d)^T + b_enc, best of reps."""
    x, w, b = torch.randn(args.batch, 2 * args.d), torch.randn(args.dict_size, 2 * args.d), torch.randn(args.dict_size)
    torch.addmm(b, x, w.t())
    best = min(timed(lambda: torch.addmm(b, x, w.t())) for _ in range(reps))
    return 2.0 * args.batch * 2 * args.d * args.dict_size / best / 1e9


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--d", type=int, default=512)
    p.add_argument("--dict-size", type=int, default=8192)
    p.add_argument("--k", type=int, default=64)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variants", default="dense,sparse")
    p.add_argument("--json", action="store_true", help="one JSON object per variant on stdout")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    results = [bench(v, args) for v in args.variants.split(",")]
    mm = matmul_gflops()
    enc = encoder_gflops(args)
    for r in results:
        r["matmul_gflops"] = mm
        r["encoder_matmul_gflops"] = enc
        r["torch"] = torch.__version__
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{r['variant']:45s} {r['rows_per_s']:8.0f} rows/s {r['ms_per_step']:8.1f} ms/step {r['gflops']:6.1f} GFLOP/s")
    if not args.json:
        print(f"torch {torch.__version__} matmul 2048^3: {mm:.1f} GFLOP/s, encoder product alone: {enc:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
