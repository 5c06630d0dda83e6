package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.qos} (60/10), AMQP 0-9-1 as extended by RabbitMQ.
 *
 * @param prefetchSize prefetch-size (long (unsigned 32-bit, carried in an int))
 * @param prefetchCount prefetch-count (short)
 * @param global global (bit)
 */
public record BasicQos(int prefetchSize, int prefetchCount, boolean global) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 10;

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
        return "basic.qos";
    }
}
