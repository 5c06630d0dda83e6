package warren.core.queue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import warren.core.message.Message;

/**
 * How a node reaches queues whose home is another node: every operation of a {@link MessageQueue}
 * whose {@link MessageQueue#remoteHome()} is set goes here, to be carried over the inter-node data
 * link. Implemented by {@link warren.core.link.QueueLinks}.
 */
public interface RemoteQueues {

    /** How settled deliveries leave their queue. */
    enum Settle { ACK, REQUEUE, REJECT }

    /** Whether {@code node} can be reached now (its link is up). */
    boolean isUp(String node);

    /** As {@link MessageQueue#publish}: true when the publisher should pause until {@link #whenCaughtUp}. */
    boolean publish(MessageQueue queue, Message message, Consumer<Boolean> accepted);

    void whenCaughtUp(MessageQueue queue, Runnable resume);

    CompletableFuture<Void> addConsumer(MessageQueue queue, QueueConsumer consumer, boolean exclusive);

    CompletableFuture<Void> removeConsumer(MessageQueue queue, QueueConsumer consumer);

    CompletableFuture<MessageQueue.GetResult> get(MessageQueue queue, boolean ackRequired);

    void settle(MessageQueue queue, List<QueueEntry> entries, Settle how);

    /** The consumer wrote no-ack deliveries to its client, or its connection drained: credit may flow back. */
    void wakeup(MessageQueue queue);

    CompletableFuture<MessageQueue.Counts> counts(MessageQueue queue, boolean touch);

    CompletableFuture<Integer> purge(MessageQueue queue);

    CompletableFuture<Integer> delete(MessageQueue queue, boolean ifUnused, boolean ifEmpty);
}
