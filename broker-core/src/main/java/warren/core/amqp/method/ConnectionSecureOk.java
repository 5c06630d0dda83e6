package warren.core.amqp.method;

import warren.core.amqp.LongString;
import warren.core.amqp.Method;

/**
 * {@code connection.secure-ok} (10/21), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param response response (long string)
 */
public record ConnectionSecureOk(LongString response) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 21;

    public ConnectionSecureOk {
        response = response == null ? LongString.of("") : response;
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
        return "connection.secure-ok";
    }
}
