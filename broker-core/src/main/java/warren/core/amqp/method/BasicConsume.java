package warren.core.amqp.method;

import java.util.Map;
import warren.core.amqp.Method;

/**
 * {@code basic.consume} (60/20), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param queue queue (short string)
 * @param consumerTag consumer-tag (short string)
 * @param noLocal no-local (bit)
 * @param noAck no-ack (bit)
 * @param exclusive exclusive (bit)
 * @param noWait no-wait (bit)
 * @param arguments arguments (field table)
 */
public record BasicConsume(
        String queue,
        String consumerTag,
        boolean noLocal,
        boolean noAck,
        boolean exclusive,
        boolean noWait,
        Map<String, Object> arguments) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 20;

    public BasicConsume {
        queue = queue == null ? "" : queue;
        consumerTag = consumerTag == null ? "" : consumerTag;
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
        return "basic.consume";
    }
}
