package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code connection.blocked} (10/60), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param reason reason (short string)
 */
public record ConnectionBlocked(String reason) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 60;

    public ConnectionBlocked {
        reason = reason == null ? "" : reason;
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
        return "connection.blocked";
    }
}
