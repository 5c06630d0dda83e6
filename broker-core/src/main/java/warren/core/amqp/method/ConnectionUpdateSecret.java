package warren.core.amqp.method;

import warren.core.amqp.LongString;
import warren.core.amqp.Method;

/**
 * {@code connection.update-secret} (10/70), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param newSecret new-secret (long string)
 * @param reason reason (short string)
 */
public record ConnectionUpdateSecret(LongString newSecret, String reason) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 70;

    public ConnectionUpdateSecret {
        newSecret = newSecret == null ? LongString.of("") : newSecret;
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
        return "connection.update-secret";
    }
}
