package org.dfcspark.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/**
 * Entry point of {@code bin/dfc}. Subcommands are registered by name; a two-word command
 * ("crosscoder train") is registered with its space.
 */
public final class Main {
    private static final Map<String, Supplier<Command>> COMMANDS = new LinkedHashMap<>();

    static {
        // Registered in pipeline order. Each line: name -> command class.
        COMMANDS.put("organism build", OrganismBuildCommand::new);
        COMMANDS.put("demo", DemoCommand::new);
        COMMANDS.put("forward", ForwardCommand::new);
        COMMANDS.put("generate", GenerateCommand::new);
        COMMANDS.put("bench forward", BenchForwardCommand::new);
        COMMANDS.put("prompts import", PromptsImportCommand::new);
        COMMANDS.put("harvest", HarvestCommand::new);
        COMMANDS.put("harvest validate", HarvestValidateCommand::new);
        COMMANDS.put("bench harvest", HarvestBenchCommand::new);
        COMMANDS.put("score", ScoreCommand::new);
        COMMANDS.put("train", TrainCommand::new);
        COMMANDS.put("sweep", SweepCommand::new);
        COMMANDS.put("evaluate", EvaluateCommand::new);
        COMMANDS.put("report", ReportCommand::new);
        COMMANDS.put("experiment", ExperimentCommand::new);
        COMMANDS.put("crosscoder train", CrosscoderTrainCommand::new);
        COMMANDS.put("crosscoder encode", CrosscoderEncodeCommand::new);
        COMMANDS.put("crosscoder inspect", CrosscoderInspectCommand::new);
        COMMANDS.put("bench crosscoder", BenchCrosscoderCommand::new);
        COMMANDS.put("bench train", BenchTrainCommand::new);
        COMMANDS.put("bench sweep", BenchSweepCommand::new);
        COMMANDS.put("bench evaluate", BenchEvaluateCommand::new);
    }

    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    /** Runs a command and returns its exit code (tests call this instead of main). */
    public static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            printOverview();
            return argv.length == 0 ? 2 : 0;
        }
        String name = argv[0];
        int consumed = 1;
        if (argv.length > 1 && COMMANDS.containsKey(argv[0] + " " + argv[1])) {
            name = argv[0] + " " + argv[1];
            consumed = 2;
        }
        Supplier<Command> factory = COMMANDS.get(name);
        if (factory == null) {
            System.err.println("dfc: unknown command '" + name + "' (try bin/dfc --help)");
            return 2;
        }
        Command cmd = factory.get();
        String[] rest = Arrays.copyOfRange(argv, consumed, argv.length);
        try {
            return cmd.run(parse(cmd, rest));
        } catch (UsageException e) {
            System.err.println("dfc " + name + ": " + e.getMessage());
            return 2;
        } catch (HelpRequested e) {
            System.out.println(cmd.usage());
            return 0;
        } catch (Exception e) {
            System.err.println("dfc " + name + ": error: " + oneLine(e));
            if (System.getenv("DFC_DEBUG") != null) e.printStackTrace();
            return 1;
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        return m.replace('\n', ' ');
    }

    private static void printOverview() {
        System.out.println("usage: bin/dfc <command> [flags]   (bin/dfc <command> --help for details)");
        System.out.println();
        for (Map.Entry<String, Supplier<Command>> e : COMMANDS.entrySet()) {
            System.out.printf("  %-22s %s%n", e.getKey(), e.getValue().get().summary());
        }
    }

    private static Args parse(Command cmd, String[] rest) {
        Args a = Args.parse(rest, cmd.valuedFlags(), cmd.switchFlags());
        if (a.help()) throw new HelpRequested();
        if (!a.positional().isEmpty() && !cmd.acceptsPositional()) {
            throw new UsageException("unexpected argument '" + a.positional().get(0) + "'");
        }
        return a;
    }

    static final class HelpRequested extends RuntimeException {}
}
