package warren.core.amqp.method;

import java.util.Map;
import warren.core.amqp.Method;

/**
 * {@code exchange.bind} (40/30), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param destination destination (short string)
 * @param source source (short string)
 * @param routingKey routing-key (short string)
 * @param noWait no-wait (bit)
 * @param arguments arguments (field table)
 */
public record ExchangeBind(
        String destination,
        String source,
        String routingKey,
        boolean noWait,
        Map<String, Object> arguments) implements Method {
    public static final int CLASS_ID = 40;
    public static final int METHOD_ID = 30;

    public ExchangeBind {
        destination = destination == null ? "" : destination;
        source = source == null ? "" : source;
        routingKey = routingKey == null ? "" : routingKey;
        arguments = arguments == null ? Map.of() : arguments;
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
        return "exchange.bind";
    }
}
