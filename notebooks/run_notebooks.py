#!/usr/bin/env python3
"""Executes every notebook of notebooks/ (NN-*.ipynb) top to bottom with nbclient on one run directory.

usage: run_notebooks.py RUN_DIR [EXECUTED_DIR]

RUN_DIR reaches each notebook through the DFC_RUN_DIR environment variable (its first cell reads it). Executed copies
(with outputs) go to EXECUTED_DIR when given; the notebooks in the repository stay without outputs. Prints
"ok NAME" per notebook and exits 1 at the first one that raises.
"""
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

here = Path(__file__).resolve().parent


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    os.environ["DFC_RUN_DIR"] = str(Path(sys.argv[1]).resolve())
    os.environ["MPLBACKEND"] = "Agg"
    executed = Path(sys.argv[2]) if len(sys.argv) == 3 else None
    if executed:
        executed.mkdir(parents=True, exist_ok=True)
    for path in sorted(here.glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        started = time.time()
        client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(here)}})
        try:
            client.execute()
        except CellExecutionError as e:
            print(f"FAILED {path.name}: {e}", flush=True)
            return 1
        finally:
            if executed:
                nbformat.write(nb, executed / path.name)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.get("name") == "stdout":
                    sys.stdout.write(out.get("text", ""))
        print(f"ok {path.name} ({time.time() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
