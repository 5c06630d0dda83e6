package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.ack} (60/80), AMQP 0-9-1 as extended by RabbitMQ.
 *
 * @param deliveryTag delivery-tag (long long)
 * @param multiple multiple (bit)
 */
public record BasicAck(long deliveryTag, boolean multiple) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 80;

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
        return "basic.ack";
    }
}
