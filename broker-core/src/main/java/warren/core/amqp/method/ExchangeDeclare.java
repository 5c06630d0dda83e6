package warren.core.amqp.method;

import java.util.Map;
import warren.core.amqp.Method;

/**
 * {@code exchange.declare} (40/10), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param exchange exchange (short string)
 * @param type type (short string)
 * @param passive passive (bit)
 * @param durable durable (bit)
 * @param autoDelete auto-delete (bit)
 * @param internal internal (bit)
 * @param noWait no-wait (bit)
 * @param arguments arguments (field table)
 */
public record ExchangeDeclare(
        String exchange,
        String type,
        boolean passive,
        boolean durable,
        boolean autoDelete,
        boolean internal,
        boolean noWait,
        Map<String, Object> arguments) implements Method {
    public static final int CLASS_ID = 40;
    public static final int METHOD_ID = 10;

    public ExchangeDeclare {
        exchange = exchange == null ? "" : exchange;
        type = type == null ? "" : type;
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
        return "exchange.declare";
    }
}
