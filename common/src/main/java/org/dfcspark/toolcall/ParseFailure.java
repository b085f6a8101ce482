package org.dfcspark.toolcall;

/** A piece of a model output that looked like a tool call but could not be read as one, and why. */
public record ParseFailure(String text, String reason) {}
