package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code queue.purge} (50/30), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param queue queue (short string)
 * @param noWait no-wait (bit)
 */
public record QueuePurge(String queue, boolean noWait) implements Method {
    public static final int CLASS_ID = 50;
    public static final int METHOD_ID = 30;

    public QueuePurge {
        queue = queue == null ? "" : queue;
    }

    @Override
    public int classId() {
        return CLASS_ID;
    }

    @Override
    public int methodId() {
        return METHOD_ID;
    }

    @Override
    public String name() {
        return "queue.purge";
    }
}
