package warren.core.amqp.method;

import java.util.Map;
import warren.core.amqp.Method;

/**
 * {@code queue.declare} (50/10), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param queue queue (short string)
 * @param passive passive (bit)
 * @param durable durable (bit)
 * @param exclusive exclusive (bit)
 * @param autoDelete auto-delete (bit)
 * @param noWait no-wait (bit)
 * @param arguments arguments (field table)
 */
public record QueueDeclare(
        String queue,
        boolean passive,
        boolean durable,
        boolean exclusive,
        boolean autoDelete,
        boolean noWait,
        Map<String, Object> arguments) implements Method {
    public static final int CLASS_ID = 50;
    public static final int METHOD_ID = 10;

    public QueueDeclare {
        queue = queue == null ? "" : queue;
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
        return "queue.declare";
    }
}
