package warren.core.store;

/**
 * One queue-index record: a message's place in a durable queue.
 *
 * @param seq       position in the queue (publish order)
 * @param messageId the stored body's id
 * @param expiresAt absolute expiry in epoch millis, {@code Long.MAX_VALUE} for none
 * @param flags     {@link #DELIVERED}, {@link #SHARED}, {@link #TRANSIENT}
 */
public record StoredEntry(long seq, long messageId, long expiresAt, int flags) {
    /** Delivered at least once: comes back redelivered after a restart. */
    public static final int DELIVERED = 1;
    /** The body is shared with other queues (fanout): delete it only when the last reference goes. */
    public static final int SHARED = 2;
    /** A transient message paged to disk: dropped at restart. */
    public static final int TRANSIENT = 4;

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
