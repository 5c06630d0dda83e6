package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.get} (60/70), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param queue queue (short string)
 * @param noAck no-ack (bit)
 */
public record BasicGet(String queue, boolean noAck) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 70;

    public BasicGet {
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
        return "basic.get";
    }
}
