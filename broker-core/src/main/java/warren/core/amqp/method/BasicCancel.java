package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.cancel} (60/30), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param consumerTag consumer-tag (short string)
 * @param noWait no-wait (bit)
 */
public record BasicCancel(String consumerTag, boolean noWait) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 30;

    public BasicCancel {
        consumerTag = consumerTag == null ? "" : consumerTag;
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
        return "basic.cancel";
    }
}
