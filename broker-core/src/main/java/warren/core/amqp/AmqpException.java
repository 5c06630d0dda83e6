package warren.core.amqp;

/**
 * An AMQP error raised by a handler. Exactly one place per level catches it and turns it into
 * channel.close or connection.close: {@link ChannelException} for soft codes, {@link ConnectionException}
 * for hard ones. The text is sent to the client as "CODE_NAME - text", as RabbitMQ does.
 */
public abstract class AmqpException extends RuntimeException {
    private final ReplyCode replyCode;
    private final int classId;
    private final int methodId;

    protected AmqpException(ReplyCode replyCode, String text, int classId, int methodId) {
        super(text);
        this.replyCode = replyCode;
        this.classId = classId;
        this.methodId = methodId;
    }

    public ReplyCode replyCode() {
        return replyCode;
    }

    public int classId() {
        return classId;
    }

    public int methodId() {
        return methodId;
    }

    /** The reply-text as put on the wire. */
    public String replyText() {
        return replyCode.label() + " - " + getMessage();
    }
}
