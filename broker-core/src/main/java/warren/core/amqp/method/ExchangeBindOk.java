package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code exchange.bind-ok} (40/31), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record ExchangeBindOk() implements Method {
    public static final int CLASS_ID = 40;
    public static final int METHOD_ID = 31;

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
        return "exchange.bind-ok";
    }
}
