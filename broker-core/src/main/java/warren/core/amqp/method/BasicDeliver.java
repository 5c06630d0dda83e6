package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.deliver} (60/60), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param consumerTag consumer-tag (short string)
 * @param deliveryTag delivery-tag (long long)
 * @param redelivered redelivered (bit)
 * @param exchange exchange (short string)
 * @param routingKey routing-key (short string)
 */
public record BasicDeliver(
        String consumerTag,
        long deliveryTag,
        boolean redelivered,
        String exchange,
        String routingKey) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 60;

    public BasicDeliver {
        consumerTag = consumerTag == null ? "" : consumerTag;
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
        return "basic.deliver";
    }
}
