package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code connection.unblocked} (10/61), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record ConnectionUnblocked() implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 61;

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
        return "connection.unblocked";
    }
}
