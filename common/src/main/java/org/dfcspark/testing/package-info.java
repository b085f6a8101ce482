/**
 * Fault injection for tests of the real jobs ({@link org.dfcspark.testing.InjectedFaults}): kept out of every
 * production option record and config, read from one JVM system property on the driver, carried to tasks by value.
 */
package org.dfcspark.testing;
