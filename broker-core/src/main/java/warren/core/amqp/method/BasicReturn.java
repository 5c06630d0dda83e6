package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.return} (60/50), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param replyCode reply-code (short)
 * @param replyText reply-text (short string)
 * @param exchange exchange (short string)
 * @param routingKey routing-key (short string)
 */
public record BasicReturn(int replyCode, String replyText, String exchange, String routingKey) implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 50;

    public BasicReturn {
        replyText = replyText == null ? "" : replyText;
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
        return "basic.return";
    }
}
