package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Diagnostics;
import org.dfcspark.dfc.SafeTensorsActivations;
import org.dfcspark.jobs.options.Args;

/** {@code bin/dfc crosscoder inspect}: partition, integrity, decoder norms, and the A−B decomposition on data. */
public final class CrosscoderInspectCommand implements Command {

    @Override
    public String summary() {
        return "describe a crosscoder checkpoint (partition, integrity, decoder norms, A-B decomposition)";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc crosscoder inspect --checkpoint DIR [--data FILE.safetensors#NAME] [--threads N]
                Prints the partition sizes, partition integrity (max forbidden |w|, tied-decoder consistency), decoder-norm
                statistics (relative norm |d_B|/(|d_A|+|d_B|) histogram, cosine between d_A and d_B of shared features) and,
                with --data (raw activations (N, 2, d)), the decomposition of the mean A-B difference of the reconstructions
                into normalisation, decoder bias, shared, A-exclusive and B-exclusive contributions (plus reconstruction error).""";
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("checkpoint", "data", "threads");
    }

    @Override
    public int run(Args args) throws Exception {
        Path dir = Path.of(args.require("checkpoint"));
        int threads = CrosscoderCli.threads(args);
        org.dfcspark.dfc.CheckpointState.requireFinished(dir, "crosscoder inspect");
        Crosscoder cc = Checkpoint.load(dir);
        CrosscoderConfig c = cc.config();
        System.out.println("checkpoint " + dir);
        System.out.println(CrosscoderTrainCommand.describe(cc));
        System.out.printf(Locale.ROOT, "partition: A-exclusive %d | B-exclusive %d | shared %d (D = %d)%n",
                c.nA(), c.nB(), cc.partition().nShared(), c.dictSize());
        if (c.sparsity() == org.dfcspark.dfc.Sparsity.BATCHTOPK) System.out.println("inference threshold: " + c.threshold());
        Diagnostics.DecoderStats s = Diagnostics.decoderStats(cc);
        System.out.printf(Locale.ROOT, "partition integrity: max forbidden |w| = %s%s%n", s.maxForbidden(),
                c.coupling() == org.dfcspark.dfc.Coupling.TIED ? ", max tied-half difference = " + s.maxTieViolation() : "");
        System.out.print(s.report());
        if (args.has("data")) {
            try (SafeTensorsActivations data = SafeTensorsActivations.open(args.get("data"))) {
                if (data.dim() != c.activationDim()) {
                    throw new IllegalArgumentException(data.describe() + ": activation dim " + data.dim() + " but the crosscoder has " + c.activationDim());
                }
                CrosscoderEncodeCommand.requireFinite(data);
                System.out.print(Diagnostics.meanDifference(cc, data, 1024, threads).report());
            }
        }
        return 0;
    }
}
