package warren.core.amqp;

/**
 * An AMQP 0-9-1 method (spec 4.2.4): one record per method in {@code warren.core.amqp.method}, encoded and
 * decoded by {@link MethodCodec}.
 */
public interface Method {
    int classId();

    int methodId();

    /** Whether a content header and body follow the method frame (spec 2.3.5.2). */
    default boolean hasContent() {
        return false;
    }

    /** The spec name, e.g. {@code queue.declare} or {@code basic.get-ok}. */
    String name();
}
