package warren.core.queue;

import java.util.concurrent.ScheduledExecutorService;
import warren.core.message.Message;

/** What a queue needs from the vhost that owns it. Called from the queue's own thread. */
public interface QueueHost {

    /** Re-publishes a dead message to the queue's dead-letter exchange (x-death added by the host). */
    void deadLetter(MessageQueue source, Message message, String reason);

    /**
     * The queue deleted itself (on its thread: auto-delete after its last consumer left, or x-expires ran
     * out); the host drops its definition everywhere.
     */
    void deleteUnused(MessageQueue queue, String why);

    /** Memory accounting for the high watermark: bytes entering (+) and leaving (-) queues. */
    void adjustMemory(long delta);

    ScheduledExecutorService timer();

    /** How queues living on other nodes are reached (null: a standalone broker, no data link). */
    default RemoteQueues remoteQueues() {
        return null;
    }

    /** Whether queued messages use more than half the memory high watermark: transient backlogs then page to disk. */
    default boolean memoryPressure() {
        return false;
    }
}
