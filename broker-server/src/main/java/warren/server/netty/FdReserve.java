package warren.server.netty;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The process's file-descriptor budget as the AMQP listener sees it: the soft {@code RLIMIT_NOFILE}
 * and the descriptors open now, with a reserve kept free for what must keep working when clients
 * use up the rest (warrenctl's control listener, cluster links, the store's files). The count is
 * read from {@code /proc/self/fd} (through the JDK's UnixOperatingSystemMXBean), which costs time
 * proportional to the descriptors open, so it is read only when an estimate says the limit is near
 * and otherwise at most every {@value #RECOUNT_EVERY} accepts or every second.
 *
 * <p>Not thread-safe: used on the listener's (accept) event loop only.
 */
final class FdReserve {
    static final int RECOUNT_EVERY = 64;
    private static final long RECOUNT_NANOS = 1_000_000_000L;

    private final UnixOperatingSystemMXBean os;
    private final long limit;
    private final long reserve;
    private long counted;
    private long acceptedSince;
    private long countedAt;

    private FdReserve(UnixOperatingSystemMXBean os, long limit, long reserve) {
        this.os = os;
        this.limit = limit;
        this.reserve = reserve;
        this.countedAt = System.nanoTime() - 2 * RECOUNT_NANOS;
    }

    /**
     * The process's budget, or null where the descriptor count cannot be read (not a Unix JVM) or the
     * limit is so high that it does not matter. The reserve is a tenth of the limit, at least 32 and
     * at most 1024 descriptors.
     */
    static FdReserve forThisProcess() {
        OperatingSystemMXBean bean = ManagementFactory.getOperatingSystemMXBean();
        if (!(bean instanceof UnixOperatingSystemMXBean unix)) {
            return null;
        }
        long limit = unix.getMaxFileDescriptorCount();
        if (limit <= 0 || limit > Integer.MAX_VALUE) {
            return null;
        }
        return new FdReserve(unix, limit, Math.min(1024, Math.max(32, limit / 10)));
    }

    long limit() {
        return limit;
    }

    long reserve() {
        return reserve;
    }

    /** Descriptors open at the last count. */
    long inUse() {
        return counted;
    }

    /** Called for each accepted connection: true when accepting it would eat into the reserve. */
    boolean exhaustedOnAccept() {
        acceptedSince++;
        long now = System.nanoTime();
        boolean near = counted + acceptedSince >= limit - 2 * reserve;
        if (near || acceptedSince >= RECOUNT_EVERY || now - countedAt >= RECOUNT_NANOS) {
            recount(now);
        }
        return counted >= limit - reserve;
    }

    /** While accepting is paused: true once enough descriptors are free again (half the reserve beyond it). */
    boolean recovered() {
        recount(System.nanoTime());
        return counted < limit - reserve - reserve / 2;
    }

    private void recount(long now) {
        counted = os.getOpenFileDescriptorCount();
        acceptedSince = 0;
        countedAt = now;
    }
}
