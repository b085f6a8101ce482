/**
 * Command-line flag parsing ({@link org.dfcspark.jobs.options.Args}) shared by the {@code bin/dfc} commands and the
 * jobs' option classes. It lives here, not in {@code org.dfcspark.cli}, so that nothing in {@code org.dfcspark.jobs}
 * depends on the command line layer ({@code cli -> jobs -> common}, never back).
 */
package org.dfcspark.jobs.options;
