package warren.core.routing;

import java.util.Collection;
import java.util.Map;

/**
 * The binding index of one exchange, shaped for its type. Adds and removes are serialised by the
 * owning exchange; {@link #route} runs concurrently with them and never blocks.
 */
public interface Router {

    void add(Binding binding);

    void remove(Binding binding);

    /** Adds to {@code out} every binding that matches the message. */
    void route(String routingKey, Map<String, Object> headers, Collection<Binding> out);
}
