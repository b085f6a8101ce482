/**
 * Tool calls in model outputs: parsing ({@link org.dfcspark.toolcall.ToolCallParser},
 * {@link org.dfcspark.toolcall.HermesParser}, {@link org.dfcspark.toolcall.ToolRlParser}) and the four scorers, the
 * seed paper's ({@link org.dfcspark.toolcall.PaperScorer}), ToolRL's reward ({@link org.dfcspark.toolcall.ToolRlScorer}),
 * BFCL's ({@code toolcall.bfcl}) ported to reproduce the originals exactly, and our
 * {@link org.dfcspark.toolcall.StrictScorer}; {@link org.dfcspark.toolcall.RecordScorer} scores one JSON record
 * ({@code bin/dfc score}). JSON through {@link org.dfcspark.py.PythonJson} only, so verdicts match Python's. No model
 * runtime and no Spark. Record fields: data-schemas/scoring.md; docs/DESIGN.md "Tool-call parsing, scoring and
 * statistics".
 */
package org.dfcspark.toolcall;
