package warren.core.metadata;

import java.util.function.LongSupplier;

/**
 * A hybrid logical clock: 48 bits of wall-clock milliseconds and a 16-bit counter. Readings are
 * strictly increasing on one node, and a node that {@link #observe observes} another's reading
 * afterwards only reads later values, so a change made after seeing another is always newer than
 * it, whatever the two machines' clocks say; concurrent changes are ordered by wall clock.
 */
public final class HybridClock {
    private static final int LOGICAL_BITS = 16;
    private static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;

    private final LongSupplier wallMillis;
    private long last;

    public HybridClock() {
        this(System::currentTimeMillis);
    }

    public HybridClock(LongSupplier wallMillis) {
        this.wallMillis = wallMillis;
    }

    /** A new reading, later than every reading made or observed before. */
    public synchronized long now() {
        long wall = wallMillis.getAsLong() << LOGICAL_BITS;
        last = wall > last ? wall : last + 1;
        return last;
    }

    /** Moves the clock past a reading seen from another node. */
    public synchronized void observe(long reading) {
        if (reading > last) {
            last = reading;
        }
    }

    public static long physical(long reading) {
        return reading >>> LOGICAL_BITS;
    }

    public static long logical(long reading) {
        return reading & LOGICAL_MASK;
    }
}
