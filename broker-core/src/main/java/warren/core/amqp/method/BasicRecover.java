package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.recover} (60/110), AMQP 0-9-1 as extended by RabbitMQ.
 *
 * @param requeue requeue (bit)
 */
public record BasicRecover(boolean requeue) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 110;

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
        return "basic.recover";
    }
}
