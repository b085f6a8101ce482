/**
 * Inner loops shared by the crosscoder kernels and the Java decode step: {@link org.dfcspark.simd.VecOps} picks the
 * JDK Vector API version ({@link org.dfcspark.simd.SimdOps}) when the JVM has {@code jdk.incubator.vector}, scalar
 * loops otherwise.
 */
package org.dfcspark.simd;
