package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code queue.declare-ok} (50/11), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param queue queue (short string)
 * @param messageCount message-count (long (unsigned 32-bit, carried in an int))
 * @param consumerCount consumer-count (long (unsigned 32-bit, carried in an int))
 */
public record QueueDeclareOk(String queue, int messageCount, int consumerCount) implements Method {
    public static final int CLASS_ID = 50;
    public static final int METHOD_ID = 11;

    public QueueDeclareOk {
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
        return "queue.declare-ok";
    }
}
