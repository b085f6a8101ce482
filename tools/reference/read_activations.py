#!/usr/bin/env python3
"""Reads a dfc-spark activation store with pyarrow + pandas + numpy (no Java, no Spark) and checks it.

Venv (offline here):  python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors numpy pyarrow pandas
Run:                  .venv/bin/python tools/reference/read_activations.py OUT_DIR

What it shows (see data-schemas/activations.md):
  * the store is a Hive-partitioned Parquet dataset: activations/layer=L/*.parquet;
  * the a/b columns are little-endian binary vectors: numpy.frombuffer(blob, '<f2') for f16, '<f4' for f32,
    bf16 as '<u2' widened to float32 by a 16-bit shift;
  * statistics.json matches the rows (per-channel mean/variance and mean norm over rows with sink == False);
  * the shuffled copy holds the same sample ids in another order.
Exits non-zero with a message when anything disagrees.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds


def decode(blob, dtype, d):
    """One stored vector -> float32 array of length d."""
    if dtype == "f16":
        v = np.frombuffer(blob, "<f2").astype(np.float32)
    elif dtype == "f32":
        v = np.frombuffer(blob, "<f4")
    elif dtype == "bf16":
        v = (np.frombuffer(blob, "<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        raise ValueError("unknown dtype " + dtype)
    if v.shape != (d,):
        raise ValueError(f"vector of {v.shape} values, expected {d}")
    return v


def load_layer(root, layer):
    """All rows of one layer as a DataFrame plus (N, d) arrays A and B."""
    table = ds.dataset(root / "activations", format="parquet", partitioning="hive").to_table(filter=ds.field("layer") == layer)
    df = table.to_pandas()
    return df


def main(out):
    root = Path(out)
    manifest = json.loads((root / "manifest.json").read_text())
    stats = json.loads((root / "statistics.json").read_text())
    dtype, d = manifest["dtype"], manifest["d_model"]
    fail = []
    for layer in manifest["layers"]:
        df = load_layer(root, layer)
        a = np.stack([decode(x, dtype, d) for x in df["a"]]) if len(df) else np.zeros((0, d), np.float32)
        b = np.stack([decode(x, dtype, d) for x in df["b"]]) if len(df) else np.zeros((0, d), np.float32)
        expected_rows = manifest["rows"][str(layer)]
        if len(df) != expected_rows:
            fail.append(f"layer {layer}: {len(df)} rows, manifest says {expected_rows}")
        if df["sample_id"].duplicated().any():
            fail.append(f"layer {layer}: duplicate sample ids")
        if not ((df["sample_id"] & ((1 << 20) - 1)) == df["position"]).all():
            fail.append(f"layer {layer}: sample_id does not end in the position")
        keep = ~df["sink"].to_numpy()
        for model, x in (("a", a[keep]), ("b", b[keep])):
            entry = next(e for e in stats["entries"] if e["layer"] == layer and e["model"] == model)
            x64 = x.astype(np.float64)
            checks = {
                "count": (entry["count"], len(x64)),
                "mean": (np.array(entry["mean"]), x64.mean(axis=0)),
                "var": (np.array(entry["var"]), x64.var(axis=0)),
                "mean_norm": (entry["mean_norm"], np.linalg.norm(x64, axis=1).mean()),
            }
            for name, (got, want) in checks.items():
                if not np.allclose(got, want, rtol=1e-6, atol=1e-6):
                    fail.append(f"layer {layer} model {model}: statistics.json {name} differs from the rows")
        if manifest.get("shuffled"):
            sh = ds.dataset(root / "shuffled" / f"layer={layer}", format="parquet").to_table(columns=["sample_id"]).to_pandas()
            if sorted(sh["sample_id"]) != sorted(df["sample_id"]):
                fail.append(f"shuffled layer {layer}: not the same sample ids")
            runs = (np.diff(sh["sample_id"].to_numpy() >> 20) == 0).mean() if len(sh) > 1 else 0.0
            print(f"layer {layer}: shuffled copy, fraction of neighbours from the same prompt {runs:.3f}")
        print(f"layer {layer}: {len(df)} rows, a {a.shape} b {b.shape}, |a| mean {np.linalg.norm(a, axis=1).mean():.3f}, "
              f"sources {dict(pd.Series(df['source']).value_counts())}")
    if fail:
        sys.exit("FAILED:\n  " + "\n  ".join(fail))
    print("ok:", out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
