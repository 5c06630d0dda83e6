package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code channel.close} (20/40), AMQP 0-9-1 as extended by RabbitMQ.
 * The spec's class-id and method-id fields (the failing method) are named failingClassId and failingMethodId,
 * because {@link Method#classId()} and {@link Method#methodId()} identify this method itself.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param replyCode reply-code (short)
 * @param replyText reply-text (short string)
 * @param failingClassId failing-class-id (short)
 * @param failingMethodId failing-method-id (short)
 */
public record ChannelClose(int replyCode, String replyText, int failingClassId, int failingMethodId) implements Method {
    public static final int CLASS_ID = 20;
    public static final int METHOD_ID = 40;

    public ChannelClose {
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
        return "channel.close";
    }
}
