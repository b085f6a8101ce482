package org.dfcspark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.dfcspark.io.AtomicOutput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.GenerationResult;
import org.dfcspark.model.Generator;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.InterventionSpec;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.text.Tokenizer;

/** {@code bin/dfc generate}: batched greedy or sampled continuations, optionally with interventions. */
public final class GenerateCommand implements Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String summary() {
        return "continue token sequences with a Qwen2 model (greedy or sampled), optionally steered";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/dfc generate --model DIR (--ids \"1 2 3;4 5\" | --text TEXT | --chat FILE.json)",
                "                        --max-new-tokens N [--intervene SPEC]... --out OUT.jsonl",
                "",
                "  --model DIR           Hugging Face Qwen2 directory",
                TokenInputs.USAGE,
                "  --max-new-tokens N    stop after N new tokens (or at an EOS id)",
                "  --intervene SPEC      repeatable; L = decoder layer whose output is edited:",
                "      add:layer=L:vector=FILE.safetensors#NAME[:scale=S][:positions=all|last|generated][:phase=every|prefill]",
                "          h += S * v; default every position of prompt and generated tokens, every step",
                "      replace:layer=L:vector=FILE.safetensors#NAME[:positions=last|all][:phase=prefill|every]",
                "          h = v; default the last prompt token, prompt forward only",
                "  --out FILE            JSON lines {\"index\", \"prompt_ids\", \"generated_ids\", \"text\"}; text is the",
                "                        decoded generated ids (special tokens kept), null without a tokenizer",
                "  --sample              sample instead of greedy, with --temperature T (1.0) --top-p P (1.0) --seed S (0)",
                "  --eos \"ID ...\"         stop ids (default: generation_config.json / config.json)",
                "  --pad ID              left-padding id (default: pad_token_id, else the first EOS id)",
                "  --batch-size N        sequences generated together, left-padded (default 8)",
                ModelFlags.USAGE);
    }

    @Override
    public Set<String> valuedFlags() {
        Set<String> s = new HashSet<>(Set.of("model", "out", "max-new-tokens", "intervene", "temperature", "top-p", "seed",
                "eos", "pad", "batch-size"));
        s.addAll(TokenInputs.FLAGS);
        s.addAll(ModelFlags.FLAGS);
        return s;
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("sample");
    }

    @Override
    public int run(Args args) throws Exception {
        Path modelDir = Path.of(args.require("model"));
        Path out = Path.of(args.require("out"));
        int maxNew = args.getInt("max-new-tokens", -1);
        if (!args.has("max-new-tokens")) throw new UsageException("missing required flag --max-new-tokens");
        if (maxNew < 0) throw new UsageException("--max-new-tokens must be >= 0");
        int batchSize = args.getInt("batch-size", 8);
        if (batchSize < 1) throw new UsageException("--batch-size must be >= 1");
        List<InterventionSpec> specs = new ArrayList<>();
        for (String s : args.all("intervene")) {
            try {
                specs.add(InterventionSpec.parse(s));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        GenerationConfig cfg = GenerationConfig.forModel(modelDir, maxNew);
        if (args.has("eos")) cfg = cfg.withEos(ids("eos", args.get("eos")));
        if (args.has("pad")) cfg = cfg.withPad(args.getInt("pad", 0));
        if (args.flag("sample")) {
            try {
                cfg = cfg.withSampling(args.getDouble("temperature", 1.0), args.getDouble("top-p", 1.0), args.getLong("seed", 0));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        } else if (args.has("temperature") || args.has("top-p") || args.has("seed")) {
            throw new UsageException("--temperature, --top-p and --seed need --sample");
        }
        List<int[]> prompts = TokenInputs.read(args, modelDir);

        long start = System.nanoTime();
        int[] newTokens = {0};
        GenerationConfig gen = cfg;
        AtomicOutput.writeFile(out, tmp -> {
            try (Qwen2Model model = Qwen2Model.load(modelDir, ModelFlags.device(args), ModelFlags.dtype(args));
                 Tokenizer tok = TokenInputs.tokenizerOrNull(args, modelDir);
                 BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                List<Intervention> ivs = new ArrayList<>();
                for (InterventionSpec s : specs) {
                    try {
                        ivs.add(s.resolve(model.config()));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("bad intervention (" + s.kind() + " at layer " + s.layer() + "): " + e.getMessage());
                    }
                }
                for (int from = 0; from < prompts.size(); from += batchSize) {
                    List<int[]> chunk = prompts.subList(from, Math.min(prompts.size(), from + batchSize));
                    GenerationResult r = Generator.generate(model, chunk, gen, ivs);
                    for (int b = 0; b < chunk.size(); b++) {
                        int[] ids = r.generated(b);
                        newTokens[0] += ids.length;
                        ObjectNode line = JSON.createObjectNode();
                        line.put("index", from + b);
                        var p = line.putArray("prompt_ids");
                        for (int id : chunk.get(b)) p.add(id);
                        var g = line.putArray("generated_ids");
                        for (int id : ids) g.add(id);
                        if (tok == null) line.putNull("text");
                        else line.put("text", tok.decode(ids));
                        w.write(JSON.writeValueAsString(line));
                        w.newLine();
                    }
                }
            }
        });
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("generate: %d sequences, %d new tokens in %.2f s (%.1f tok/s)%s -> %s%n", prompts.size(), newTokens[0],
                secs, newTokens[0] / secs, specs.isEmpty() ? "" : ", " + specs.size() + " intervention(s)", out);
        return 0;
    }

    private static List<Integer> ids(String flag, String value) {
        List<Integer> out = new ArrayList<>();
        for (String t : value.trim().split("[\\s,]+")) {
            try {
                out.add(Integer.parseInt(t));
            } catch (NumberFormatException e) {
                throw new UsageException("--" + flag + ": '" + t + "' is not a token id");
            }
        }
        return out;
    }
}
