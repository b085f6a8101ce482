package org.dfcspark.cli;

import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.prompts.OrganismTables;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.organism.OrganismBuilder;
import org.dfcspark.organism.OrganismModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code bin/dfc organism build}: trains the model organism (B by SFT, A by RL from B, the rl-mid
 * checkpoint) from a seed and measures it; {@code --quick} is the CI smoke run.
 */
public final class OrganismBuildCommand implements Command {
    public static final long DEFAULT_SEED = 0;

    @Override
    public String summary() {
        return "train the model organism (base B, RL model A, rl-mid) from a seed";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/dfc organism build [--quick] [--seed N] [--out DIR] [--overwrite] [--base-from DIR]",
                "",
                "  (no flags)  the full build, reproducing the shipped data/organism: tokenizer and prompts tables,",
                "              B = SFT from a random init, A = on-policy RL (GRPO, strict-scorer reward) from B, rl-mid =",
                "              the RL checkpoint nearest 40% greedy strict on validation prompts (whole iterates, and points",
                "              inside the Adam step that crosses 40%); then B, rl-mid and A are",
                "              measured on held-out prompts and everything is written to DIR/build.json.",
                "              About 10-15 minutes on 2 CPU cores.",
                "  --quick     CI smoke run (about 2 minutes): a short SFT from scratch (checks the loss falls) and a few",
                "              RL iterations from the shipped B, data/organism/base (checks the reward rises); writes",
                "              DIR/quick-build.json only, never the shipped models",
                "  --seed N    the seed of everything: world samples, initialisation, sampling (default " + DEFAULT_SEED + ")",
                "  --out DIR   output directory (default: " + DEFAULT_OUT + " for a full build, a new temporary directory",
                "              for --quick). A full build is written beside DIR and swapped in when done: a killed build",
                "              leaves DIR as it was. To rebuild the shipped organism: --out data/organism --overwrite",
                "  --overwrite replace a non-empty DIR (refused otherwise, before any work)",
                "  --base-from DIR  (full build) copy B from DIR, the base model directory of an earlier build of the same",
                "              seed, instead of training it (SFT is deterministic): for iterating on RL in ~5 minutes. The",
                "              shipped organism is a plain build.",
                "",
                "Exit 0 when every check passes (full: B strict <= 15%, A >= 80%, rl-mid in 30-50%, A's prose loss",
                "within 10% of B's; quick: SFT loss falls, RL reward rises), 1 otherwise (artefacts are kept).");
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("seed", "out", "base-from");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("quick", "overwrite");
    }

    static final String DEFAULT_OUT = "out/organism";

    static void requireFreshOut(Path out, boolean overwrite) throws java.io.IOException {
        org.dfcspark.io.OutputDirs.requireWritable(out, "--out");
        if (!overwrite) {
            org.dfcspark.io.OutputDirs.requireAbsentOrEmpty(out, "--out", "pass --overwrite to replace what it holds (the build is swapped in only when complete), or choose another --out");
        }
    }

    private int fullBuild(Path out, long seed, Path baseFrom) throws Exception {
        System.out.println("organism build: full, seed " + seed + ", out " + out + " (written beside it, swapped in when complete)");
        OrganismBuilder.Result[] result = new OrganismBuilder.Result[1];
        org.dfcspark.io.AtomicOutput.writeDirectory(out, tmp -> {
            try {
                OrganismBuilder.Options options = OrganismBuilder.Options.full(tmp, seed);
                result[0] = new OrganismBuilder(baseFrom == null ? options : options.withBaseFrom(baseFrom),
                        (file, records) -> OrganismTables.writeParquet(SparkSessions.get("organism-prompts"), file, records),
                        System.out::println).build();
            } catch (java.io.IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new java.io.IOException(e);
            }
        });
        System.out.println("organism build: report " + out.resolve("build.json"));
        if (!result[0].ok()) {
            for (String f : result[0].failures()) System.err.println("organism build: check failed: " + f);
            return 1;
        }
        System.out.println("organism build: all checks passed");
        return 0;
    }

    @Override
    public int run(Args args) throws Exception {
        long seed = args.getLong("seed", DEFAULT_SEED);
        boolean quick = args.flag("quick");
        Path baseFrom = args.has("base-from") ? Path.of(args.get("base-from")) : null;
        if (baseFrom != null && quick) throw new UsageException("--base-from is for a full build (--quick starts RL from the shipped B)");
        if (baseFrom != null && !Files.isRegularFile(baseFrom.resolve("model.safetensors"))) {
            throw new UsageException("--base-from " + baseFrom + " has no model.safetensors (it names a base model directory)");
        }
        OrganismBuilder.Options options;
        if (quick) {
            Path out = args.has("out") ? Path.of(args.get("out")) : Files.createTempDirectory("organism-quick");
            Path base = ProjectPaths.data("organism").resolve(OrganismModel.BASE);
            if (!Files.isRegularFile(base.resolve("model.safetensors"))) {
                throw new IllegalStateException("--quick starts RL from the shipped base model, but " + base + " has no model.safetensors");
            }
            options = OrganismBuilder.Options.quick(out, seed, base);
        } else {
            // Never into the shipped data/organism unless named with --out (and --overwrite, as it is not empty).
            Path out = Path.of(args.get("out", DEFAULT_OUT));
            requireFreshOut(out, args.flag("overwrite"));
            return fullBuild(out, seed, baseFrom);
        }
        System.out.println("organism build: " + (quick ? "quick" : "full") + ", seed " + seed + ", out " + options.out());
        OrganismBuilder.Result result = new OrganismBuilder(options,
                (file, records) -> OrganismTables.writeParquet(SparkSessions.get("organism-prompts"), file, records),
                System.out::println).build();
        System.out.println("organism build: report " + options.out().resolve(quick ? "quick-build.json" : "build.json"));
        if (!result.ok()) {
            for (String f : result.failures()) System.err.println("organism build: check failed: " + f);
            return 1;
        }
        System.out.println("organism build: all checks passed");
        return 0;
    }
}
