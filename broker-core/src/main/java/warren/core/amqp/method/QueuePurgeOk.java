package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code queue.purge-ok} (50/31), AMQP 0-9-1 as extended by RabbitMQ.
 *
 * @param messageCount message-count (long (unsigned 32-bit, carried in an int))
 */
public record QueuePurgeOk(int messageCount) implements Method {
    public static final int CLASS_ID = 50;
    public static final int METHOD_ID = 31;

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
        return "queue.purge-ok";
    }
}
