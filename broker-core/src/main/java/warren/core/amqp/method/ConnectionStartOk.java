package warren.core.amqp.method;

import java.util.Map;
import warren.core.amqp.LongString;
import warren.core.amqp.Method;

/**
 * {@code connection.start-ok} (10/11), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param clientProperties client-properties (field table)
 * @param mechanism mechanism (short string)
 * @param response response (long string)
 * @param locale locale (short string)
 */
public record ConnectionStartOk(
        Map<String, Object> clientProperties,
        String mechanism,
        LongString response,
        String locale) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 11;

    public ConnectionStartOk {
        clientProperties = clientProperties == null ? Map.of() : clientProperties;
        mechanism = mechanism == null ? "" : mechanism;
        response = response == null ? LongString.of("") : response;
        locale = locale == null ? "" : locale;
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
        return "connection.start-ok";
    }
}
