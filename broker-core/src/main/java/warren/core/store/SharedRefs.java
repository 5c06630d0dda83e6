package warren.core.store;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reference counts of bodies stored once and indexed by several queues (fanout). Bodies indexed
 * by one queue are not counted: their only index record's removal deletes them.
 */
public final class SharedRefs {
    private final ConcurrentHashMap<Long, AtomicInteger> counts = new ConcurrentHashMap<>();

    public void set(long messageId, int references) {
        counts.put(messageId, new AtomicInteger(references));
    }

    public void increment(long messageId) {
        counts.computeIfAbsent(messageId, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Drops one reference; true if it was the last (the body can go). */
    public boolean release(long messageId) {
        AtomicInteger c = counts.get(messageId);
        if (c == null) {
            return true;
        }
        if (c.decrementAndGet() <= 0) {
            counts.remove(messageId, c);
            return true;
        }
        return false;
    }

    public int size() {
        return counts.size();
    }
}
