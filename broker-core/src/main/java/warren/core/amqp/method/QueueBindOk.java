package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code queue.bind-ok} (50/21), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record QueueBindOk() implements Method {
    public static final int CLASS_ID = 50;
    public static final int METHOD_ID = 21;

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
        return "queue.bind-ok";
    }
}
