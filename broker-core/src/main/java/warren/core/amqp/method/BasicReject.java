package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.reject} (60/90), AMQP 0-9-1 as extended by RabbitMQ.
 *
 * @param deliveryTag delivery-tag (long long)
 * @param requeue requeue (bit)
 */
public record BasicReject(long deliveryTag, boolean requeue) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 90;

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
        return "basic.reject";
    }
}
