package warren.core.routing;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The four AMQP exchange types, each with its binding index and binding validation. */
public enum ExchangeType {
    DIRECT("direct", DirectRouter::new),
    FANOUT("fanout", FanoutRouter::new),
    TOPIC("topic", TopicRouter::new),
    HEADERS("headers", HeadersRouter::new);

    private final String wireName;
    private final Supplier<Router> routers;

    ExchangeType(String wireName, Supplier<Router> routers) {
        this.wireName = wireName;
        this.routers = routers;
    }

    public String wireName() {
        return wireName;
    }

    public Router newRouter() {
        return routers.get();
    }

    /** Rejects binding arguments this type cannot use (406). */
    public void validateBinding(Map<String, Object> arguments) {
        if (this == HEADERS) {
            HeadersRouter.validate(arguments);
        }
    }

    public static Optional<ExchangeType> byName(String name) {
        for (ExchangeType t : values()) {
            if (t.wireName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
