package warren.core.amqp;

/** A hard error: closes the whole connection. */
public final class ConnectionException extends AmqpException {
    public ConnectionException(ReplyCode code, String text, int classId, int methodId) {
        super(code, text, classId, methodId);
    }

    public ConnectionException(ReplyCode code, String text) {
        this(code, text, 0, 0);
    }
}
