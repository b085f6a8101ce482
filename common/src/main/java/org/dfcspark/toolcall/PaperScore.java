package org.dfcspark.toolcall;

import java.util.List;

/**
 * The seed paper's verdict for one response ({@code score_response}'s dict): {@code formatAccuracy},
 * {@code toolCorrectness} and {@code overallScore} in {-1, 0, 1, 2}; {@code promptToolNames} and
 * {@code calledName} are the intermediate values, for debugging (the original does not return them).
 */
public record PaperScore(boolean formatAccuracy, boolean toolCorrectness, int overallScore,
                         List<String> promptToolNames, String calledName) {}
