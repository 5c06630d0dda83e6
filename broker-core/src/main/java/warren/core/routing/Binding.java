package warren.core.routing;

import java.util.Map;

/**
 * A binding from an exchange to a queue or (exchange-to-exchange) another exchange.
 * Equality is RabbitMQ's: source, destination, routing key and arguments.
 */
public record Binding(String source, String destination, boolean toExchange, String routingKey,
                      Map<String, Object> arguments) {
    public Binding {
        arguments = arguments == null ? Map.of() : Map.copyOf(arguments);
    }

    public String destinationKind() {
        return toExchange ? "exchange" : "queue";
    }
}
