package org.dfcspark.jobs.harvest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.dfcspark.harvest.PreparedSequence;
import org.dfcspark.jobs.work.WorkItem;
import scala.Tuple2;

/**
 * A harvest's work item: one shard of the plan with its prepared prompts. Its id is the shard's file name stem
 * ({@code shard-00003}), which names its done marker {@code _harvest/done/shard-00003.json}.
 */
record HarvestShard(int shard, List<PreparedSequence> sequences) implements WorkItem {
    @Override
    public String id() {
        return StoreLayout.shardName(shard);
    }

    @Override
    public String describe() {
        return "shard " + shard + " (" + sequences.size() + " prompts, ids " + sequences.get(0).promptId()
                + (sequences.size() > 1 ? " .. " + sequences.get(sequences.size() - 1).promptId() : "") + ")";
    }

    /** The shard of one partition of plan rows keyed by shard id (none when the partition is empty). */
    static Iterator<HarvestShard> fromRows(Iterator<Tuple2<String, Row>> rows) {
        List<PreparedSequence> seqs = new ArrayList<>();
        int shard = -1;
        while (rows.hasNext()) {
            Row r = rows.next()._2();
            int s = r.getInt(r.fieldIndex("shard"));
            if (shard >= 0 && s != shard) throw new IllegalStateException("partition holds shards " + shard + " and " + s);
            shard = s;
            seqs.add(HarvestPlan.fromRow(r));
        }
        return seqs.isEmpty() ? List.<HarvestShard>of().iterator() : List.of(new HarvestShard(shard, seqs)).iterator();
    }
}
