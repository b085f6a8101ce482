/**
 * BFCL's single-turn evaluation of a Qwen (hermes) output, ported line by line so that every quirk survives:
 * {@link org.dfcspark.toolcall.bfcl.BfclScorer} (the entry), {@link org.dfcspark.toolcall.bfcl.QwenHermesDecoder}
 * ({@code decode_ast}), {@link org.dfcspark.toolcall.bfcl.AstChecker} ({@code ast_checker.py}) and the Java/JS type
 * converters. Depends only on {@code py}. data-schemas/scoring.md; docs/DESIGN.md "Tool-call parsing, scoring and
 * statistics".
 */
package org.dfcspark.toolcall.bfcl;
