package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code channel.open} (20/10), AMQP 0-9-1 as extended by RabbitMQ.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 */
public record ChannelOpen() implements Method {
    public static final int CLASS_ID = 20;
    public static final int METHOD_ID = 10;

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
        return "channel.open";
    }
}
