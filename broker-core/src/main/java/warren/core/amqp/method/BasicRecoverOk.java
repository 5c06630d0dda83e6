package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code basic.recover-ok} (60/111), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record BasicRecoverOk() implements Method {
    public static final int CLASS_ID = 60;
    public static final int METHOD_ID = 111;

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
        return "basic.recover-ok";
    }
}
