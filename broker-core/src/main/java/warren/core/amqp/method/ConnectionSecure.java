package warren.core.amqp.method;

import warren.core.amqp.LongString;
import warren.core.amqp.Method;

/**
 * {@code connection.secure} (10/20), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param challenge challenge (long string)
 */
public record ConnectionSecure(LongString challenge) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 20;

    public ConnectionSecure {
        challenge = challenge == null ? LongString.of("") : challenge;
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
        return "connection.secure";
    }
}
