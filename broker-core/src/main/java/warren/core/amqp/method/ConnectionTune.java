package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code connection.tune} (10/30), AMQP 0-9-1 as extended by RabbitMQ.
 *
 * @param channelMax channel-max (short)
 * @param frameMax frame-max (long (unsigned 32-bit, carried in an int))
 * @param heartbeat heartbeat (short)
 */
public record ConnectionTune(int channelMax, int frameMax, int heartbeat) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 30;

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
        return "connection.tune";
    }
}
