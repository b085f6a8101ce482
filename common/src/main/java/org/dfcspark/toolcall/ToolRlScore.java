package org.dfcspark.toolcall;

/**
 * ToolRL's reward for one solution: the 4-tuple {@code (score, format_score, correctness_score, length_score)}
 * that {@code compute_score} returns, or, where the original raises, the Python exception class in
 * {@code raises} (and its message) with the numbers set to NaN.
 */
public record ToolRlScore(double score, double formatScore, double correctnessScore, int lengthScore,
                          String raises, String message) {

    static ToolRlScore of(double formatScore, double correctnessScore) {
        // Python: score = format + correctness + 0 (the int length score)
        return new ToolRlScore(formatScore + correctnessScore + 0, formatScore, correctnessScore, 0, null, null);
    }

    static ToolRlScore raised(String exceptionType, String message) {
        return new ToolRlScore(Double.NaN, Double.NaN, Double.NaN, 0, exceptionType, message);
    }

    /** True when the original {@code compute_score} raised instead of returning. */
    public boolean isRaised() {
        return raises != null;
    }
}
