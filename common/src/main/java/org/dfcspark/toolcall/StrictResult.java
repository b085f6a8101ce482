package org.dfcspark.toolcall;

/**
 * The strict scorer's verdict on one output.
 *
 * @param correct        the whole answer is right: for {@code tool_call} gold, exactly the gold calls (names and
 *                       arguments, order-free) and no unreadable call attempt; for {@code response} /
 *                       {@code irrelevance} gold, no call attempt at all
 * @param nameCorrect    the called names equal the gold names as a multiset (for no-call gold: same as correct)
 * @param errorType      null when correct, else the first reason in this order: {@code parse_error},
 *                       {@code unexpected_call}, {@code no_call}, {@code wrong_count}, {@code wrong_name},
 *                       {@code missing_arg}, {@code unexpected_arg}, {@code type_error}, {@code value_error}
 * @param error          a one-line explanation (null when correct)
 * @param expectedCalls  number of gold calls (0 for no-call gold)
 * @param calls          number of calls read from the output
 * @param parseFailures  number of call attempts that could not be read
 * @param outputFormat   {@code hermes} (arguments key), {@code toolrl} (parameters key), {@code mixed} or {@code none}
 * @param parsed         what was read from the output
 */
public record StrictResult(boolean correct, boolean nameCorrect, String errorType, String error,
                           int expectedCalls, int calls, int parseFailures, String outputFormat, ParsedOutput parsed) {}
