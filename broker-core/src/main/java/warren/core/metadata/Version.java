package warren.core.metadata;

/**
 * The version of one definition record: a hybrid logical clock reading ({@link HybridClock}) and
 * the node whose change wrote it. Versions are totally ordered (clock first, then origin), so when
 * two nodes that have been apart compare a record, exactly one version is newer and every node
 * picks the same winner. {@link #ZERO} is "no version known" (defaults made at first boot,
 * records from before versions were kept): older than any change.
 */
public record Version(long hlc, String origin) implements Comparable<Version> {

    public static final Version ZERO = new Version(0, "");

    public Version {
        if (origin == null) {
            throw new IllegalArgumentException("origin");
        }
    }

    @Override
    public int compareTo(Version o) {
        int c = Long.compare(hlc, o.hlc);
        return c != 0 ? c : origin.compareTo(o.origin);
    }

    public boolean isNewerThan(Version o) {
        return compareTo(o) > 0;
    }

    /** Readable form for logs: wall-clock millis, logical counter, origin. */
    @Override
    public String toString() {
        return this == ZERO || hlc == 0 ? "v0" : "v" + HybridClock.physical(hlc) + "." + HybridClock.logical(hlc)
                + "@" + origin;
    }
}
