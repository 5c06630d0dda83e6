package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code access.request-ok} (30/11), AMQP 0-9-1 as extended by RabbitMQ.
 * Reserved fields are not components: they are written as zero/empty and skipped when read.
 */
public record AccessRequestOk() implements Method {
    public static final int CLASS_ID = 30;
    public static final int METHOD_ID = 11;

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
        return "access.request-ok";
    }
}
