package warren.core.amqp;

/**
 * AMQP 0-9-1 reply codes (spec section 1.1 "Constants"). A hard code closes the connection,
 * a soft one only the channel.
 */
public enum ReplyCode {
    REPLY_SUCCESS(200, false),
    CONTENT_TOO_LARGE(311, false),
    NO_ROUTE(312, false),
    NO_CONSUMERS(313, false),
    CONNECTION_FORCED(320, true),
    INVALID_PATH(402, true),
    ACCESS_REFUSED(403, false),
    NOT_FOUND(404, false),
    RESOURCE_LOCKED(405, false),
    PRECONDITION_FAILED(406, false),
    FRAME_ERROR(501, true),
    SYNTAX_ERROR(502, true),
    COMMAND_INVALID(503, true),
    CHANNEL_ERROR(504, true),
    UNEXPECTED_FRAME(505, true),
    RESOURCE_ERROR(506, true),
    NOT_ALLOWED(530, true),
    NOT_IMPLEMENTED(540, true),
    INTERNAL_ERROR(541, true);

    private final int code;
    private final boolean hard;

    ReplyCode(int code, boolean hard) {
        this.code = code;
        this.hard = hard;
    }

    public int code() {
        return code;
    }

    public boolean isHard() {
        return hard;
    }

    /** The constant for a numeric code; null when the spec has none. */
    public static ReplyCode byCode(int code) {
        for (ReplyCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** The spec's constant name, as RabbitMQ prints it in close texts ("NOT_FOUND - no queue 'x'"). */
    public String label() {
        return name();
    }
}
