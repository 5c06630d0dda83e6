package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code access.request} (30/10), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param realm realm (short string)
 * @param exclusive exclusive (bit)
 * @param passive passive (bit)
 * @param active active (bit)
 * @param write write (bit)
 * @param read read (bit)
 */
public record AccessRequest(
        String realm,
        boolean exclusive,
        boolean passive,
        boolean active,
        boolean write,
        boolean read) implements Method {
    public static final int CLASS_ID = 30;
    public static final int METHOD_ID = 10;

    public AccessRequest {
        realm = realm == null ? "" : realm;
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
        return "access.request";
    }
}
