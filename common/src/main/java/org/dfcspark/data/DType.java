package org.dfcspark.data;

/** Element types of the safetensors format, with their byte sizes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The dtype named in a header, or null when this reader does not support it. */
    public static DType fromHeader(String name) {
        for (DType t : values()) if (t.name().equals(name)) return t;
        return null;
    }
}
