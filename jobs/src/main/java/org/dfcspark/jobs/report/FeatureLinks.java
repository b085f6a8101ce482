package org.dfcspark.jobs.report;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The feature pages the report has, so a chart links a feature only when its page exists. */
final class FeatureLinks {
    private final Set<String> anchors = new HashSet<>();

    FeatureLinks(List<TargetEvidence> evidence) {
        for (TargetEvidence e : evidence) for (ShownFeature f : e.features()) anchors.add(f.anchor());
    }

    /** The page's anchor, or null when the feature has no page. */
    String href(String evaluation, String crosscoder, String hook, Integer feature) {
        if (feature == null) return null;
        String a = ShownFeature.anchor(evaluation, crosscoder, hook, feature);
        return anchors.contains(a) ? a : null;
    }
}
