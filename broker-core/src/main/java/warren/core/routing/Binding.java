package warren.core.routing;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A binding from an exchange to a queue or (exchange-to-exchange) another exchange.
 * Equality is RabbitMQ's: source, destination, routing key and arguments.
 */
public record Binding(String source, String destination, boolean toExchange, String routingKey,
                      Map<String, Object> arguments) {
    public Binding {
        // Not Map.copyOf: a void (null) argument value is legal (headers exchange: match on presence).
        arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    public String destinationKind() {
        return toExchange ? "exchange" : "queue";
    }
}
