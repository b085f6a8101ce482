package org.dfcspark.jobs.evaluate;

import java.io.Serializable;

/**
 * One crosscoder at one hook: the unit the ranking and the work items are made of.
 *
 * @param crosscoder the checkpoint directory's name (unique within a run): the {@code crosscoder} column
 * @param dir        the checkpoint directory
 * @param hook       {@code blocks.L.hook_resid_post}
 */
public record EvaluationTarget(String crosscoder, String dir, String hook) implements Serializable {}
