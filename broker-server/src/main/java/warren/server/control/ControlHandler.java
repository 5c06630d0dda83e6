package warren.server.control;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Executes one authenticated control request. Refusals are {@code warren.core.broker.AdminException}s
 * (their kind goes back to the client); anything else is reported as an internal error.
 */
@FunctionalInterface
public interface ControlHandler {

    /** Returns a JSON-serialisable result (map, list, string, boolean or null). */
    Object handle(String command, JsonNode args);
}
