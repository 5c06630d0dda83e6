package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code connection.update-secret-ok} (10/71), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record ConnectionUpdateSecretOk() implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 71;

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
        return "connection.update-secret-ok";
    }
}
