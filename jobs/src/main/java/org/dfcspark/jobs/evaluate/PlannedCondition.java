package org.dfcspark.jobs.evaluate;

import java.io.Serializable;
import org.dfcspark.eval.Condition;

/** A condition with the experiment type it came from (the {@code experiment} column). */
public record PlannedCondition(String experiment, Condition condition) implements Serializable {}
