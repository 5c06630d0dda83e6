package warren.server.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import warren.core.broker.AdminException;
import warren.core.broker.ResourceLimits;

/**
 * The JSON definition of {@code set_vhost_limits} / {@code set_user_limits}, validated with
 * rabbitmqctl 3.10's error texts (which quote the offending terms in Erlang's notation, e.g.
 * {@code [{<<"max-conn">>,2}]}). Limits are whole numbers; a negative one means no limit.
 */
final class LimitsDefinition {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LimitsDefinition() {
    }

    static Map<String, Long> vhost(String definition) {
        return parse(definition, true);
    }

    static Map<String, Long> user(String definition) {
        return parse(definition, false);
    }

    private static Map<String, Long> parse(String definition, boolean vhost) {
        JsonNode root;
        try {
            root = JSON.readTree(definition);
        } catch (JsonProcessingException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            throw new AdminException("limits_error", "JSON decoding error. Reason: badarg");
        }
        List<String> unknown = new ArrayList<>();
        Map<String, Long> out = new TreeMap<>();
        String badValue = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!(vhost ? ResourceLimits.VHOST_KEYS : ResourceLimits.USER_KEYS).contains(f.getKey())) {
                unknown.add("{" + erlang(JSON.getNodeFactory().textNode(f.getKey())) + "," + erlang(f.getValue()) + "}");
            } else if (f.getValue().isIntegralNumber() && f.getValue().canConvertToLong()) {
                out.put(f.getKey(), f.getValue().longValue());
            } else if (badValue == null) {
                badValue = f.getKey() + " should be a number, actually was " + erlang(f.getValue());
            }
        }
        String problem = !unknown.isEmpty()
                ? "Unrecognised terms [" + String.join(",", unknown) + "] in " + (vhost ? "limits" : "user-limits")
                : badValue;
        if (problem != null) {
            // set_vhost_limits goes through runtime parameter validation, set_user_limits does not
            throw new AdminException("limits_error", vhost ? "Validation failed\n\n" + problem + "\n" : problem);
        }
        return out;
    }

    /** A JSON value as the Erlang term RabbitMQ's messages print: strings as binaries, the rest as JSON. */
    private static String erlang(JsonNode v) {
        return v.isTextual() ? "<<\"" + v.asText() + "\">>" : v.toString();
    }

    /** Limits as rabbitmqctl prints them: compact JSON, keys in order. */
    static String format(Map<String, Long> limits) {
        try {
            return JSON.writeValueAsString(new TreeMap<>(limits));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
