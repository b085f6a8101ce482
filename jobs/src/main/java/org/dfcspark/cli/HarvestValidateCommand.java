package org.dfcspark.cli;

import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.dfcspark.jobs.harvest.ActivationStoreValidator;
import org.dfcspark.jobs.options.Args;

/** {@code bin/dfc harvest validate}: checks a store against data-schemas/activations.md. */
public final class HarvestValidateCommand implements Command {
    @Override
    public String summary() {
        return "check an activation store against data-schemas/activations.md";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc harvest validate --store DIR [--rows]

                Checks manifest.json, every Parquet file's schema and footer, row counts against the manifest,
                statistics.json and the shuffled copy. With --rows it also reads every row: vector sizes, finite
                values, unique sample ids, sink flags. Prints each problem; exit 1 when there is any.
                """;
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("store");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("rows");
    }

    @Override
    public int run(Args args) throws Exception {
        String store = args.require("store");
        ActivationStoreValidator.Report r = ActivationStoreValidator.validate(store, new Configuration(), args.flag("rows"));
        for (String p : r.problems()) System.out.println("problem: " + p);
        System.out.println(r.ok() ? "ok: " + store + (args.flag("rows") ? " (" + r.rowsRead() + " rows read)" : "")
                : r.problems().size() + " problem(s) in " + store);
        return r.ok() ? 0 : 1;
    }
}
