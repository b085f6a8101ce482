package org.dfcspark.organism;

import java.util.ArrayList;
import java.util.List;

/**
 * A pool of argument values (cities, weekdays, integers 1-14, dates, ...). Values are written in
 * requests exactly as they appear in the gold call (lower case, no quotes), so that a call is a
 * copy of request tokens. {@code heldOut} values never appear as tool arguments in training
 * requests; they appear only in evaluation requests (and, as plain words, in the echo drill).
 */
public record ValueType(String name, JsonKind kind, List<String> train, List<String> heldOut) {

    public ValueType {
        train = List.copyOf(train);
        heldOut = List.copyOf(heldOut);
        if (train.isEmpty()) throw new IllegalArgumentException("value type " + name + " has no training values");
        for (String v : heldOut) {
            if (train.contains(v)) throw new IllegalArgumentException("value type " + name + ": '" + v + "' is both train and held out");
        }
    }

    public static ValueType strings(String name, List<String> train, List<String> heldOut) {
        return new ValueType(name, JsonKind.STRING, train, heldOut);
    }

    /** Integers lo..hi inclusive, none held out (integer tokens are shared by many parameters). */
    public static ValueType integers(String name, int lo, int hi) {
        List<String> v = new ArrayList<>();
        for (int i = lo; i <= hi; i++) v.add(Integer.toString(i));
        return new ValueType(name, JsonKind.INTEGER, v, List.of());
    }

    /** An explicit list of integers, none held out. */
    public static ValueType integerSet(String name, int... values) {
        List<String> v = new ArrayList<>();
        for (int i : values) v.add(Integer.toString(i));
        return new ValueType(name, JsonKind.INTEGER, v, List.of());
    }

    /**
     * Amounts lo..hi and the halves between them (12, 12.5, ...): halves with an odd integer part
     * are held out.
     */
    public static ValueType amounts(String name, int lo, int hi) {
        List<String> train = new ArrayList<>();
        List<String> held = new ArrayList<>();
        for (int i = lo; i <= hi; i++) {
            train.add(Integer.toString(i));
            if (i < hi) (i % 2 == 0 ? train : held).add(i + ".5");
        }
        return new ValueType(name, JsonKind.NUMBER, train, held);
    }

    /** Dates "month day" (day 1-28); the held-out months give held-out dates. */
    public static ValueType dates(String name, List<String> trainMonths, List<String> heldOutMonths) {
        return new ValueType(name, JsonKind.STRING, monthDays(trainMonths), monthDays(heldOutMonths));
    }

    private static List<String> monthDays(List<String> months) {
        List<String> v = new ArrayList<>();
        for (String m : months) {
            for (int d = 1; d <= 28; d++) v.add(m + " " + d);
        }
        return v;
    }

    public List<String> values(boolean heldOutPool) {
        return heldOutPool ? heldOut : train;
    }

    public boolean hasHeldOut() {
        return !heldOut.isEmpty();
    }
}
