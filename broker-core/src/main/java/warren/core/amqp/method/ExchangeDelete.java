package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code exchange.delete} (40/20), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param exchange exchange (short string)
 * @param ifUnused if-unused (bit)
 * @param noWait no-wait (bit)
 */
public record ExchangeDelete(String exchange, boolean ifUnused, boolean noWait) implements Method {
    public static final int CLASS_ID = 40;
    public static final int METHOD_ID = 20;

    public ExchangeDelete {
        exchange = exchange == null ? "" : exchange;
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
        return "exchange.delete";
    }
}
