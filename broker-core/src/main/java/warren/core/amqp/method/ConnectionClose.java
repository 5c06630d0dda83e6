package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code connection.close} (10/50), AMQP 0-9-1 as extended by RabbitMQ.
 * The spec's class-id and method-id fields (the failing method) are named failingClassId and failingMethodId,
 * because {@link Method#classId()} and {@link Method#methodId()} identify this method itself.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param replyCode reply-code (short)
 * @param replyText reply-text (short string)
 * @param failingClassId failing-class-id (short)
 * @param failingMethodId failing-method-id (short)
 */
public record ConnectionClose(
        int replyCode,
        String replyText,
        int failingClassId,
        int failingMethodId) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 50;

    public ConnectionClose {
        replyText = replyText == null ? "" : replyText;
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
        return "connection.close";
    }
}
