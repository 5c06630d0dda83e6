package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code channel.close-ok} (20/41), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record ChannelCloseOk() implements Method {
    public static final int CLASS_ID = 20;
    public static final int METHOD_ID = 41;

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
        return "channel.close-ok";
    }
}
