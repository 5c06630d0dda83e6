package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code exchange.declare-ok} (40/11), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record ExchangeDeclareOk() implements Method {
    public static final int CLASS_ID = 40;
    public static final int METHOD_ID = 11;

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
        return "exchange.declare-ok";
    }
}
