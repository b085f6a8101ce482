package org.dfcspark.harvest;

/**
 * One row of the activation store: the residual-stream vectors of models A and B at one token of one prompt
 * at one layer.
 *
 * @param inToolCall true/false for a token inside/outside a gold tool call; null when unknown (the tokenizer
 *                   has no single tokens for the tool-call markers)
 * @param sink       the position is a high-norm sink (only ever true when sinks are flagged, not dropped)
 */
public record ActivationRow(int layer, long sampleId, String promptId, String source, int position, int tokenId,
                            Boolean inToolCall, boolean sink, float[] a, float[] b) {}
