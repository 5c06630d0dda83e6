package warren.core.routing;

import java.util.Map;

/**
 * A binding from an exchange to a queue or (exchange-to-exchange) another exchange.
 * Equality is RabbitMQ's: source, destination, routing key and arguments.
 */
public record Binding(String source, String destination, boolean toExchange, String routingKey,
                      Map<String, Object> arguments) {
    public Binding {
        // Not Map.copyOf: a headers binding may carry void (null) values meaning "header present".
        arguments = arguments == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(arguments));
    }

    public String destinationKind() {
        return toExchange ? "exchange" : "queue";
    }
}
