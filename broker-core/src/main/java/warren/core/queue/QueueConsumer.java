package warren.core.queue;

import java.util.Map;

/**
 * A consumer as a queue sees it. Every method is called on the queue's own thread and must not
 * block: the implementation hands deliveries over to its connection's thread.
 */
public interface QueueConsumer {

    String tag();

    /** x-priority of basic.consume; higher is served first. */
    int priority();

    boolean ackRequired();

    /** Reserves room for one more delivery under the consumer's and its channel's prefetch; false if full. */
    boolean tryReserve();

    /** Hands over one delivery, for which {@link #tryReserve()} returned true. */
    void deliver(MessageQueue queue, QueueEntry entry);

    /** The queue went away (deleted, or its home node died): send basic.cancel to the client. */
    void cancelledByQueue(MessageQueue queue);

    /** Whether this consumer is active (single-active-consumer queues make all but one wait). */
    default void activeChanged(boolean active) {
    }

    /** For list_consumers. */
    Map<String, Object> info();
}
