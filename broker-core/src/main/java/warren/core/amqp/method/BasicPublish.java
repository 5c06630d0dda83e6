package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.publish} (60/40), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param exchange exchange (short string)
 * @param routingKey routing-key (short string)
 * @param mandatory mandatory (bit)
 * @param immediate immediate (bit)
 */
public record BasicPublish(String exchange, String routingKey, boolean mandatory, boolean immediate) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 40;

    public BasicPublish {
        exchange = exchange == null ? "" : exchange;
        routingKey = routingKey == null ? "" : routingKey;
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
    public boolean hasContent() {
        return true;
    }

    @Override
    public String name() {
        return "basic.publish";
    }
}
