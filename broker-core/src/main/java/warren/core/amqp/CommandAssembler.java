package warren.core.amqp;

/**
 * Reassembles one channel's method, header and body frames into {@link Command}s, after RabbitMQ's
 * {@code rabbit_command_assembler}. States: expecting a method; expecting the content header of a
 * content-bearing method; expecting body frames until the announced size is reached.
 *
 * <p>{@link #feed} neither retains nor releases the frame payload: the caller releases it afterwards.
 * Protocol violations raise {@link ConnectionException} with RabbitMQ's codes; a body larger than
 * {@code maxBodySize} raises {@link ChannelException} ({@link ReplyCode#PRECONDITION_FAILED}) at header
 * time, after which the assembler silently skips that message's body frames.
 */
public final class CommandAssembler {
    /** The largest body that fits a Java array. */
    public static final long MAX_ARRAY_BODY = Integer.MAX_VALUE - 8;

    private enum State { METHOD, HEADER, BODY, SKIP_BODY }

    private final long maxBodySize;
    private State state = State.METHOD;
    private Method method;
    private ContentHeader header;
    private byte[] body;
    private int bodyOffset;
    private long skipRemaining;

    /** @param maxBodySize the largest accepted body, in octets; 0 means as large as a Java array allows */
    public CommandAssembler(long maxBodySize) {
        if (maxBodySize < 0) {
            throw new IllegalArgumentException("negative max body size " + maxBodySize);
        }
        this.maxBodySize = maxBodySize == 0 ? MAX_ARRAY_BODY : Math.min(maxBodySize, MAX_ARRAY_BODY);
    }

    /** Whether no command is partially assembled. */
    public boolean isIdle() {
        return state == State.METHOD;
    }

    /** Drops any partially assembled command. */
    public void reset() {
        state = State.METHOD;
        method = null;
        header = null;
        body = null;
        bodyOffset = 0;
        skipRemaining = 0;
    }

    /**
     * Feeds the next frame of this channel.
     *
     * @return the completed command, or null while content is still incomplete
     */
    public Command feed(Frame frame) {
        return switch (state) {
            case METHOD -> onMethodExpected(frame);
            case HEADER -> onHeaderExpected(frame);
            case BODY -> onBodyExpected(frame);
            case SKIP_BODY -> onBodySkipped(frame);
        };
    }

    private Command onMethodExpected(Frame frame) {
        if (frame.type() != Frame.TYPE_METHOD) {
            throw unexpected("expected method frame, got " + describe(frame.type()) + " instead", null);
        }
        Method decoded = MethodCodec.decode(frame.payload());
        if (!decoded.hasContent()) {
            return Command.of(decoded);
        }
        method = decoded;
        state = State.HEADER;
        return null;
    }

    private Command onHeaderExpected(Frame frame) {
        int expectedClass = method.classId();
        if (frame.type() != Frame.TYPE_HEADER) {
            throw unexpected("expected content header for class " + expectedClass + ", got "
                    + describe(frame.type()) + " instead", method);
        }
        if (frame.payload().readableBytes() >= 2) {
            int headerClass = frame.payload().getUnsignedShort(frame.payload().readerIndex());
            if (headerClass != expectedClass) {
                throw unexpected("expected content header for class " + expectedClass
                        + ", got one for class " + headerClass + " instead", method);
            }
        }
        ContentHeader decoded = ContentHeader.read(frame.payload());
        long size = decoded.bodySize();
        if (size > maxBodySize) {
            Method refused = method;
            reset();
            skipRemaining = size;
            state = State.SKIP_BODY;
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "message size " + size
                    + " is larger than configured max size " + maxBodySize, refused.classId(), refused.methodId());
        }
        if (size == 0) {
            Command command = new Command(method, decoded, new byte[0]);
            reset();
            return command;
        }
        header = decoded;
        body = new byte[(int) size];
        bodyOffset = 0;
        state = State.BODY;
        return null;
    }

    private Command onBodyExpected(Frame frame) {
        if (frame.type() != Frame.TYPE_BODY) {
            throw unexpected("expected content body, got " + describe(frame.type()) + " instead", method);
        }
        int length = frame.payload().readableBytes();
        if (length > body.length - bodyOffset) {
            throw new ConnectionException(ReplyCode.UNEXPECTED_FRAME, "content body frame exceeds remaining content size",
                    method.classId(), method.methodId());
        }
        frame.payload().getBytes(frame.payload().readerIndex(), body, bodyOffset, length);
        bodyOffset += length;
        if (bodyOffset < body.length) {
            return null;
        }
        Command command = new Command(method, header, body);
        reset();
        return command;
    }

    private Command onBodySkipped(Frame frame) {
        if (frame.type() != Frame.TYPE_BODY) {
            reset();
            return feed(frame);
        }
        skipRemaining -= frame.payload().readableBytes();
        if (skipRemaining <= 0) {
            reset();
        }
        return null;
    }

    private static ConnectionException unexpected(String text, Method method) {
        return method == null
                ? new ConnectionException(ReplyCode.UNEXPECTED_FRAME, text)
                : new ConnectionException(ReplyCode.UNEXPECTED_FRAME, text, method.classId(), method.methodId());
    }

    private static String describe(int frameType) {
        return switch (frameType) {
            case Frame.TYPE_METHOD -> "method frame";
            case Frame.TYPE_HEADER -> "content header";
            case Frame.TYPE_BODY -> "content body";
            case Frame.TYPE_HEARTBEAT -> "heartbeat";
            default -> "frame type " + frameType;
        };
    }
}
