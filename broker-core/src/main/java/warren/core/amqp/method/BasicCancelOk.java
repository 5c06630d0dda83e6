package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.cancel-ok} (60/31), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param consumerTag consumer-tag (short string)
 */
public record BasicCancelOk(String consumerTag) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 31;

    public BasicCancelOk {
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
        return "basic.cancel-ok";
    }
}
