package warren.core.amqp;

/** A soft error: closes the channel only. */
public final class ChannelException extends AmqpException {
    public ChannelException(ReplyCode code, String text, int classId, int methodId) {
        super(code, text, classId, methodId);
    }

    public ChannelException(ReplyCode code, String text) {
        this(code, text, 0, 0);
    }

    /** Same error, attributed to the method being processed when it is known only later. */
    public ChannelException withMethod(int classId, int methodId) {
        return classId() != 0 ? this : new ChannelException(replyCode(), getMessage(), classId, methodId);
    }
}
