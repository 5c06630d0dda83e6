package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code connection.open} (10/40), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 *
 * @param virtualHost virtual-host (short string)
 */
public record ConnectionOpen(String virtualHost) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 40;

    public ConnectionOpen {
        virtualHost = virtualHost == null ? "" : virtualHost;
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
        return "connection.open";
    }
}
