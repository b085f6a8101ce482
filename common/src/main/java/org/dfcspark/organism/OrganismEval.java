package org.dfcspark.organism;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.GenerationResult;
import org.dfcspark.model.Generator;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.toolcall.PaperScorer;
import org.dfcspark.toolcall.StrictResult;
import org.dfcspark.toolcall.StrictScorer;
import org.dfcspark.toolcall.stats.Interval;
import org.dfcspark.toolcall.stats.RateStats;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures an organism model: tool requests answered by generation (greedy or sampled) and scored by
 * the strict scorer (and the paper's format check), tool calls on prose prompts, and next-token loss
 * on held-out prose chats.
 */
public final class OrganismEval {
    /** Generous for a call: the longest gold call is about 25 tokens. */
    public static final int MAX_NEW_TOKENS = 40;
    private static final int BATCH = 100;

    private final OrganismChat chat;
    private final int toolCallId;
    private final List<Integer> eos;
    private final int padId;

    public OrganismEval(OrganismChat chat) {
        this.chat = chat;
        OrganismTokenizer t = OrganismTokenizer.get();
        this.toolCallId = t.id(OrganismTokenizer.TOOL_CALL);
        this.eos = List.of(t.id(OrganismTokenizer.IM_END), t.id(OrganismTokenizer.PAD));
        this.padId = t.id(OrganismTokenizer.PAD);
    }

    public GenerationConfig greedy(int maxNewTokens) {
        // libtorch decodes: the shipped organism was built (and is byte-reproducible) with its rounding.
        return GenerationConfig.greedy(maxNewTokens, eos, padId).withEngine(GenerationConfig.DecodeEngine.LIBTORCH);
    }

    /** One answered prompt: the generated ids, their text (special tokens dropped) and the verdicts. */
    public record Answer(int[] ids, String text, boolean strict, boolean parsedCall, boolean isCall, boolean paperFormat) {}

    /** Generates answers for the examples (in batches) with {@code cfg} and scores them against their gold. */
    public List<Answer> answer(Qwen2Model model, List<Example> examples, GenerationConfig cfg) {
        List<Answer> out = new ArrayList<>(examples.size());
        for (int from = 0; from < examples.size(); from += BATCH) {
            List<Example> part = examples.subList(from, Math.min(examples.size(), from + BATCH));
            List<int[]> prompts = new ArrayList<>();
            for (Example e : part) prompts.add(chat.promptIds(e));
            // sampled rows draw from streams seeded by (seed, row); offset the seed per batch so batches differ
            GenerationConfig c = cfg.sample() ? cfg.withSampling(cfg.temperature(), cfg.topP(), cfg.seed() + from) : cfg;
            GenerationResult r = Generator.generate(model, prompts, c, List.of());
            for (int i = 0; i < part.size(); i++) out.add(score(part.get(i), r.generated(i)));
        }
        return out;
    }

    /** Scores generated ids against an example's gold (tool requests) or against "no call" (prose prompts). */
    public Answer score(Example e, int[] ids) {
        String text = chat.tokenizer().decode(ids, true);
        var record = e.record();
        StrictResult s = StrictScorer.score(text, record.gold(), record.goldKind(), record.tools());
        boolean parsedCall = !s.parsed().calls().isEmpty() && s.parsed().failures().isEmpty();
        boolean isCall = ids.length > 0 && ids[0] == toolCallId;
        boolean paperFormat = PaperScorer.score(text, "").formatAccuracy();
        return new Answer(ids, text, s.correct(), parsedCall, isCall, paperFormat);
    }

    /** Strict correctness, tool-call rate and the paper's format rate of a set of answers. */
    public record Rates(int n, int strict, int calls, int paperFormat) {
        public static Rates of(List<Answer> answers) {
            int s = 0, c = 0, p = 0;
            for (Answer a : answers) {
                if (a.strict()) s++;
                if (a.isCall()) c++;
                if (a.paperFormat()) p++;
            }
            return new Rates(answers.size(), s, c, p);
        }

        public Interval strictCi() {
            return RateStats.wilson(strict, n);
        }

        public Interval callCi() {
            return RateStats.wilson(calls, n);
        }

        public Interval paperFormatCi() {
            return RateStats.wilson(paperFormat, n);
        }

        public double strictRate() {
            return (double) strict / n;
        }
    }

    /** Mean next-token loss (nats per token) on the conversations: over every token and over the answers only. */
    public record ProseLoss(double allTokens, double answerTokens) {}

    public ProseLoss proseLoss(Qwen2Model model, List<Example> chats) {
        double all = 0, ans = 0;
        long nAll = 0, nAns = 0;
        NDManager root = model.parameters().values().iterator().next().getManager();
        for (int from = 0; from < chats.size(); from += BATCH) {
            List<int[]> seqs = new ArrayList<>();
            List<float[]> wAll = new ArrayList<>(), wAns = new ArrayList<>();
            for (Example e : chats.subList(from, Math.min(chats.size(), from + BATCH))) {
                OrganismChat.Sequence s = chat.sequence(e, e.prose());
                seqs.add(s.ids());
                wAll.add(SequenceLoss.onesFrom(s.ids().length, 1));
                wAns.add(SequenceLoss.onesFrom(s.ids().length, s.answerStart()));
                nAll += s.ids().length - 1;
                nAns += s.ids().length - s.answerStart();
            }
            try (NDManager scope = root.newSubManager()) {
                NDArray a = SequenceLoss.rowNll(scope, model, seqs, wAll, padId).sum();
                NDArray b = SequenceLoss.rowNll(scope, model, seqs, wAns, padId).sum();
                all += a.getFloat();
                ans += b.getFloat();
            }
        }
        return new ProseLoss(all / nAll, ans / nAns);
    }
}
