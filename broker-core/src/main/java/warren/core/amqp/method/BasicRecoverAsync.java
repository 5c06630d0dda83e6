package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.recover-async} (60/100), AMQP 0-9-1 as extended by RabbitMQ.
 *
 * @param requeue requeue (bit)
 */
public record BasicRecoverAsync(boolean requeue) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 100;

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
        return "basic.recover-async";
    }
}
