package warren.core.amqp.method;

import java.util.Map;
import warren.core.amqp.LongString;
import warren.core.amqp.Method;

/**
 * {@code connection.start} (10/10), AMQP 0-9-1 as extended by RabbitMQ.
 * Null strings and tables given to the constructor become empty ones.
 *
 * @param versionMajor version-major (octet)
 * @param versionMinor version-minor (octet)
 * @param serverProperties server-properties (field table)
 * @param mechanisms mechanisms (long string)
 * @param locales locales (long string)
 */
public record ConnectionStart(
        int versionMajor,
        int versionMinor,
        Map<String, Object> serverProperties,
        LongString mechanisms,
        LongString locales) implements Method {
    public static final int CLASS_ID = 10;
    public static final int METHOD_ID = 10;

    public ConnectionStart {
        serverProperties = serverProperties == null ? Map.of() : serverProperties;
        mechanisms = mechanisms == null ? LongString.of("") : mechanisms;
        locales = locales == null ? LongString.of("") : locales;
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
        return "connection.start";
    }
}
