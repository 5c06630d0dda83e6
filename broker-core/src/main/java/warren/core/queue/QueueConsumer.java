package warren.core.queue;

import java.util.Map;

/**
 * A consumer as a queue sees it. Every method is called on the queue's own thread, except
 * {@link #deliver}, and none may block: the implementation hands deliveries over to its
 * connection's thread.
 */
public interface QueueConsumer {

    String tag();

    /** x-priority of basic.consume; higher is served first. */
    int priority();

    boolean ackRequired();

    /** Reserves room for one more delivery under the consumer's and its channel's prefetch; false if full. */
    boolean tryReserve();

    /**
     * Hands over one delivery, for which {@link #tryReserve()} returned true. Called on the queue's
     * thread, or, when the delivery had to wait for its DELIVERED mark to be written (a persistent
     * message of a durable queue, or any delivery queued behind one), on the message store's thread.
     * Either way the deliveries of one queue arrive one at a time and in queue order; they may arrive
     * after the consumer was cancelled or the queue deleted (basic.cancel, {@link #cancelledByQueue}):
     * the implementation then gives an ack-required delivery back ({@link MessageQueue#requeue}).
     */
    void deliver(MessageQueue queue, QueueEntry entry);

    /** The queue went away (deleted, or its home node died): send basic.cancel to the client. */
    void cancelledByQueue(MessageQueue queue);

    /**
     * For a consumer of a queue on another node: the home node reserved this delivery under the
     * credit it was given; count it here as {@link #tryReserve()} would have (settling releases it).
     */
    default void reservedRemotely() {
    }

    /**
     * The most unsettled deliveries this consumer may hold (its prefetch, bounded by its channel's
     * global prefetch); 0 = no limit. A queue on another node is given this much credit.
     */
    default int creditLimit() {
        return 0;
    }

    /** Whether the consumer's client can take more deliveries now (its connection is writable). Any thread. */
    default boolean writable() {
        return true;
    }

    /** Whether this consumer is active (single-active-consumer queues make all but one wait). */
    default void activeChanged(boolean active) {
    }

    /** For list_consumers. */
    Map<String, Object> info();
}
