package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code queue.unbind-ok} (50/51), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record QueueUnbindOk() implements Method {
    public static final int CLASS_ID = 50;
    public static final int METHOD_ID = 51;

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
        return "queue.unbind-ok";
    }
}
